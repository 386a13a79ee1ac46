/**
 * The functions a caller of the ClickHouse-compatible endpoint may call: pure
 * scalar and aggregate functions by category and by name, combinators over allowed
 * aggregates, and table functions that generate rows and read nothing. An
 * allow-list: a function a new engine version adds stays out until it is named
 * here on purpose. Pure (the engine's catalog is passed in, see `FunctionInfo`).
 */

/** One row of the engine's `system.functions`. */
export interface FunctionInfo {
  name: string
  category: string
  aliasTo: string
  isAggregate: boolean
  caseInsensitive: boolean
}

/**
 * Function families that compute over their arguments only: no file, network,
 * dictionary, server state or model. Checked against `system.functions`
 * categories of ClickHouse 26.7; families left out on purpose: Other and the
 * uncategorized (server introspection, file(), sleep, getSetting… — picked one by
 * one below), Dictionary and Embedded Dictionary (external sources), Machine
 * Learning (catboostEvaluate reads model files), AI (calls remote models),
 * Introspection, Internal, Encryption, Time Series, NumericIndexedVector, QBit.
 */
const SAFE_CATEGORIES: ReadonlySet<string> = new Set([
  'Aggregate Functions',
  'Arithmetic',
  'Arrays',
  'Bit',
  'Bitmap',
  'Comparison',
  'Conditional',
  'Dates and Times',
  'Distance',
  'Encoding',
  'Financial',
  'Geo',
  'Hash',
  'IP Address',
  'JSON',
  'Logical',
  'Map',
  'Mathematical',
  'Null',
  'Random Number',
  'Rounding',
  'String',
  'String Replacement',
  'String Search',
  'String Splitting',
  'Time Window',
  'Tuple',
  'Type Conversion',
  'URL', // parsing URL strings (domain(), path()…), never fetching them
  'UUID',
])

/** Pure functions from the Other / uncategorized / Internal families, named one by one. */
const SAFE_NAMES: ReadonlySet<string> = new Set([
  // Client handshakes: clickhouse-connect runs `SELECT version(), timezone()`, clickhouse-java
  // (JDBC, DBeaver) `select currentUser(), timezone(), version(), getSetting('readonly')`.
  // getSetting reads this session's settings (the operator's limits: not secrets; the server's
  // own configuration, paths included, is getServerSetting, which stays out); currentUser is the engine's `default`.
  'version',
  'currentUser',
  'getSetting',
  'getSettingOrDefault',
  'timezone',
  'timeZone',
  'serverTimeZone',
  'timeZoneOf',
  'timeZoneOffset',
  'currentDatabase',
  'database',
  'DATABASE',
  // Syntax the parser turns into functions.
  'lambda',
  'tuple',
  'array',
  'CAST',
  '_CAST',
  'exists',
  'in',
  'notIn',
  'globalIn',
  'globalNotIn',
  'nullIn',
  'notNullIn',
  'globalNullIn',
  'globalNotNullIn',
  'caseWithExpression',
  'caseWithExpr',
  'caseWithoutExpression',
  'caseWithoutExpr',
  'grouping',
  // Window functions.
  'row_number',
  'rank',
  'dense_rank',
  'percent_rank',
  'cume_dist',
  'ntile',
  'lagInFrame',
  'leadInFrame',
  'nth_value',
  'first_value',
  'last_value',
  // Pure helpers from the Other family.
  'bar',
  'transform',
  'identity',
  'materialize',
  'ignore',
  'toTypeName',
  'toColumnTypeName',
  'byteSize',
  'isConstant',
  'isDecimalOverflow',
  'countDigits',
  'digits',
  'finalizeAggregation',
  'initializeAggregation',
  'runningAccumulate',
  'runningDifference',
  'runningDifferenceStartingWithFirstValue',
  'neighbor',
  'formatReadableSize',
  'formatReadableDecimalSize',
  'formatReadableQuantity',
  'formatReadableTimeDelta',
  'parseReadableSize',
  'parseReadableSizeOrNull',
  'parseReadableSizeOrZero',
  'parseTimeDelta',
  'visibleWidth',
  'defaultValueOfArgumentType',
  'defaultValueOfTypeName',
  'getSizeOfEnumType',
  'throwIf',
  'errorCodeToName',
  'minSampleSizeConversion',
  'minSampleSizeContinuous',
  'minSampleSizeContinous',
  'MACNumToString',
  'MACStringToNum',
  'MACStringToOUI',
  'variantElement',
  'variantType',
  'getSubcolumn',
  'flatten',
  'unnest',
])

/** Table functions that generate rows and read nothing: no file, URL, remote, cluster, merge, view or input. */
export const TABLE_FUNCTIONS: ReadonlySet<string> = new Set(['numbers', 'numbers_mt', 'zeros', 'zeros_mt', 'values', 'generate_series', 'generateSeries'])

/** Aggregate combinators (`sumIf`, `uniqStateIf`, `quantilesMerge`…): the base must be an allowed aggregate. */
const COMBINATORS = ['SimpleState', 'OrDefault', 'MergeState', 'Distinct', 'Resample', 'ForEach', 'ArgMax', 'ArgMin', 'OrNull', 'Merge', 'State', 'Array', 'Tuple', 'Null', 'Map', 'If']

/** The catalog as a lookup: name → row, and lower-cased name → row for case-insensitive functions. */
export interface FunctionCatalog {
  exact: ReadonlyMap<string, FunctionInfo>
  folded: ReadonlyMap<string, FunctionInfo>
}

export function functionCatalog(rows: readonly FunctionInfo[]): FunctionCatalog {
  const exact = new Map(rows.map((r) => [r.name, r]))
  const folded = new Map(rows.filter((r) => r.caseInsensitive).map((r) => [r.name.toLowerCase(), r]))
  return { exact, folded }
}

function lookup(catalog: FunctionCatalog, name: string): FunctionInfo | undefined {
  return catalog.exact.get(name) ?? catalog.folded.get(name.toLowerCase())
}

function infoAllowed(catalog: FunctionCatalog, info: FunctionInfo, depth: number): boolean {
  if (SAFE_NAMES.has(info.name)) return true
  if (info.aliasTo !== '' && depth < 3) {
    const target = lookup(catalog, info.aliasTo)
    return target !== undefined && infoAllowed(catalog, target, depth + 1)
  }
  return SAFE_CATEGORIES.has(info.category)
}

/** Whether a scalar or aggregate function, as the caller spelled it, is on the allow-list. */
export function functionAllowed(catalog: FunctionCatalog, name: string): boolean {
  if (SAFE_NAMES.has(name)) return true
  const info = lookup(catalog, name)
  return info ? infoAllowed(catalog, info, 0) : combinedAggregateAllowed(catalog, name, 0)
}

/** `sumIf`, `uniqStateIf`…: combinator suffixes peeled off until an allowed aggregate remains. */
function combinedAggregateAllowed(catalog: FunctionCatalog, name: string, depth: number): boolean {
  if (depth > 4) return false
  for (const suffix of COMBINATORS) {
    if (name.length <= suffix.length || !name.endsWith(suffix)) continue
    const base = name.slice(0, -suffix.length)
    const info = lookup(catalog, base)
    if (info ? info.isAggregate && infoAllowed(catalog, info, 0) : combinedAggregateAllowed(catalog, base, depth + 1)) return true
  }
  return false
}
