"""Talks to Runway's ClickHouse-compatible endpoint with the official Python client.

Input (stdin, JSON): host, port, path, user, password, experiment.
Output (stdout, JSON): what the client saw, for test/integration/clickhouse-http.test.ts to assert.
The client runs with its defaults (compression on, Native format, session ids), as a data scientist would.
"""
import json
import sys

import clickhouse_connect
from clickhouse_connect.driver.exceptions import DatabaseError


def main() -> None:
    cfg = json.load(sys.stdin)
    client = clickhouse_connect.get_client(
        host=cfg["host"],
        port=cfg["port"],
        username=cfg["user"],
        password=cfg["password"],
        proxy_path=cfg["path"],
    )
    out = {"server_version": client.server_version, "ping": client.ping()}

    sql = (
        "SELECT variant, count() AS n, round(avg(value), 6) AS mean "
        "FROM events WHERE experiment_id = {exp:String} AND value >= {min:Float64} "
        "GROUP BY variant ORDER BY variant"
    )
    params = {"exp": cfg["experiment"], "min": 0.0}
    result = client.query(sql, parameters=params)
    out["columns"] = list(result.column_names)
    out["rows"] = [[v if not isinstance(v, float) else round(v, 6) for v in row] for row in result.result_rows]

    typed = client.query(
        "SELECT {s:String} AS s, {a:Array(UInt32)} AS a, {d:Date} AS d, {u:UInt64} AS u",
        parameters={"s": "it's\ta \\ test", "a": [1, 2, 3], "d": "2026-03-02", "u": 18446744073709551615},
    )
    row = typed.result_rows[0]
    out["typed"] = [row[0], list(row[1]), row[2].isoformat(), str(row[3])]

    try:
        import pandas  # noqa: F401  (only to learn whether it is installed)

        df = client.query_df("SELECT unit_id, variant, value, ts FROM events WHERE experiment_id = {exp:String} ORDER BY unit_id", parameters=params)
        out["df"] = {"shape": list(df.shape), "columns": list(df.columns), "value_sum": round(float(df["value"].sum()), 6)}
    except ImportError:
        out["df"] = None

    try:
        client.command("CREATE TABLE py_should_not_exist (x UInt8) ENGINE = Memory")
        out["create"] = "accepted"
    except DatabaseError as e:
        out["create"] = str(e)

    try:
        client.query("SELECT * FROM no_such_table")
        out["missing"] = "accepted"
    except DatabaseError as e:
        out["missing"] = str(e)

    client.close()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
