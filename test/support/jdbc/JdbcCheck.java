import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.util.Properties;

/**
 * What a JDBC tool (DBeaver, DataGrip, Metabase) does against Runway's ClickHouse port:
 * connect with a token as the password, run a query with bound parameters, browse
 * the schema through DatabaseMetaData. Prints one tab-separated line per result for
 * test/integration/jdbc.test.ts to check; any failure exits non-zero with the driver's message.
 * Usage: java -cp <driver classpath> JdbcCheck.java <jdbc url> <user> <password> <experiment id>
 */
public class JdbcCheck {
  public static void main(String[] args) throws Exception {
    Properties props = new Properties();
    props.setProperty("user", args[1]);
    props.setProperty("password", args[2]);
    try (Connection c = DriverManager.getConnection(args[0], props)) {
      System.out.println("product\t" + c.getMetaData().getDatabaseProductName());
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT variant, count() AS units, sum(value_sum) AS total FROM analytics.v1_unit_metrics WHERE experiment_id = ? AND metric = ? GROUP BY variant ORDER BY variant")) {
        ps.setString(1, args[3]);
        ps.setString(2, args.length > 4 ? args[4] : "conversion");
        try (ResultSet rs = ps.executeQuery()) {
          ResultSetMetaData md = rs.getMetaData();
          System.out.println("columns\t" + md.getColumnName(1) + "," + md.getColumnName(2) + "," + md.getColumnName(3));
          while (rs.next()) System.out.println("row\t" + rs.getString(1) + "\t" + rs.getLong(2) + "\t" + rs.getDouble(3));
        }
      }
      try (PreparedStatement ps = c.prepareStatement("SELECT count() FROM analytics.v1_results WHERE experiment_id = ? AND seq >= ?")) {
        ps.setString(1, args[3]);
        ps.setInt(2, 1);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          System.out.println("results\t" + rs.getLong(1));
        }
      }
      DatabaseMetaData meta = c.getMetaData();
      try (ResultSet rs = meta.getSchemas()) {
        while (rs.next()) System.out.println("schema\t" + rs.getString("TABLE_SCHEM"));
      }
      try (ResultSet rs = meta.getTables(null, "analytics", "%", null)) {
        while (rs.next()) System.out.println("table\t" + rs.getString("TABLE_SCHEM") + "." + rs.getString("TABLE_NAME"));
      }
      try (ResultSet rs = meta.getColumns(null, "analytics", "v1_results", "%")) {
        while (rs.next()) System.out.println("column\t" + rs.getString("COLUMN_NAME") + "\t" + rs.getString("TYPE_NAME"));
      }
    }
  }
}
