import { resolve } from 'node:path'
import { z } from 'zod'
import { parseDuration } from './domain/duration.js'
import { type LedgerKey, ledgerKey } from './domain/ledger-chain.js'
import { InputError } from './errors.js'
import { problemsOf } from './domain/validation.js'
import { DEFAULT_POLICY_CONFIG, type PolicyConfig } from './domain/policy-config.js'
import { loadPolicyFile } from './policy-file.js'
import { loadMetricCatalogFile } from './metric-catalog-file.js'
import type { MetricCatalog } from './domain/metric-catalog.js'

const DurationMs = z.string().transform((s, ctx) => {
  const ms = parseDuration(s)
  if (ms === null) {
    ctx.addIssue({ code: 'custom', message: `invalid duration "${s}"` })
    return z.NEVER
  }
  return ms
})

const Flag = z
  .string()
  .transform((s, ctx) => {
    const v = s.trim().toLowerCase()
    if (['1', 'true', 'yes', 'on'].includes(v)) return true
    if (['0', 'false', 'no', 'off', ''].includes(v)) return false
    ctx.addIssue({ code: 'custom', message: `expected 1/0, true/false, yes/no or on/off, got "${s}"` })
    return z.NEVER
  })
  .or(z.boolean())

/** Environment variables Runway reads, with their defaults. Parsed once, here. */
const EnvSchema = z.object({
  RUNWAY_DATA_DIR: z.string().default('./data'),
  RUNWAY_HOST: z.string().default('127.0.0.1'),
  RUNWAY_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  RUNWAY_URL: z.string().url().optional(),
  RUNWAY_INGEST_MAX_BYTES: z.coerce.number().int().positive().default(10 * 1024 * 1024),
  RUNWAY_INGEST_MAX_EVENTS: z.coerce.number().int().positive().default(50_000),
  RUNWAY_INGEST_MAX_DEPTH: z.coerce.number().int().min(2).max(64).default(8),
  RUNWAY_INGEST_MAX_LINE_BYTES: z.coerce.number().int().min(256).default(64 * 1024),
  /**
   * Group commit (issue 16): concurrent batches' events combined into one insert of up to this many rows; 0 is off.
   * Each batch's token is stored with its events and read back by the process on start, so a retry is stored once
   * across restarts too (bench/README-group-commit.md). Default: 50,000 on the embedded engine (one process owns
   * the data); 0 with CLICKHOUSE_URL, where several runway processes may share one server and a retry can land on
   * another process that does not know the tokens of the batches this one grouped.
   */
  RUNWAY_INGEST_GROUP_COMMIT_ROWS: z.coerce.number().int().min(0).optional(),
  RUNWAY_HTTP_REQUEST_TIMEOUT: DurationMs.pipe(z.number().positive()).default(60_000),
  RUNWAY_HTTP_HEADERS_TIMEOUT: DurationMs.pipe(z.number().positive()).default(10_000),
  RUNWAY_HTTP_KEEP_ALIVE_TIMEOUT: DurationMs.pipe(z.number().positive()).default(5_000),
  RUNWAY_SCHEDULE_INTERVAL: DurationMs.default(5_000),
  RUNWAY_INTERFERENCE_INTERVAL: DurationMs.pipe(z.number().positive()).default(300_000),
  RUNWAY_EVALUATE_TICK: DurationMs.pipe(z.number().int().positive()).default(1_000),
  RUNWAY_EVAL_INCREMENTAL: Flag.default(false),
  RUNWAY_EVAL_INCREMENTAL_GRACE: DurationMs.pipe(z.number().int().min(0).max(600_000)).default(2_000),
  RUNWAY_EVAL_INCREMENTAL_REBASE: DurationMs.pipe(z.number().int().positive()).default(6 * 3_600_000),
  USER: z.string().default('cli'),
  RUNWAY_AGING_PER_HOUR: z.coerce.number().min(0).default(1),
  RUNWAY_ARCHIVE_AFTER: DurationMs.default(7 * 86_400_000),
  RUNWAY_HOUSEKEEPING_INTERVAL: DurationMs.default(60_000),
  RUNWAY_ROLE: z.enum(['api', 'worker', 'controller', 'all']).default('all'),
  KAFKA_BROKERS: z.string().optional(),
  RUNWAY_KAFKA_PARTITIONS: z.coerce.number().int().min(1).max(1000).default(6),
  RUNWAY_TOPIC_PREFIX: z.string().regex(/^[A-Za-z0-9._-]*$/).default(''),
  CLICKHOUSE_URL: z.string().url().optional(),
  REDIS_URL: z.string().url().optional(),
  RUNWAY_REDIS_PREFIX: z.string().regex(/^[A-Za-z0-9._-]+$/).default('runway'),
  RUNWAY_CLICKHOUSE_HTTP: Flag.default(true),
  RUNWAY_CLICKHOUSE_HTTP_PREFIX: z.string().regex(/^(\/[A-Za-z0-9._-]+)*$/, 'must be empty or like /clickhouse').default('/clickhouse'),
  RUNWAY_CLICKHOUSE_HTTP_WRITABLE: Flag.default(false),
  /** Also serve the ClickHouse interface at the root of a port of its own (like ClickHouse's 8123), for clients without a path option (JDBC). Unset: off. */
  RUNWAY_CLICKHOUSE_HTTP_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  RUNWAY_CLICKHOUSE_HTTP_USER: z.string().min(1).default('default'),
  RUNWAY_CLICKHOUSE_HTTP_PASSWORD: z.string().default(''),
  RUNWAY_CLICKHOUSE_HTTP_MAX_CONCURRENT: z.coerce.number().int().min(1).max(64).default(2),
  RUNWAY_CLICKHOUSE_HTTP_MAX_EXECUTION_TIME: z.coerce.number().int().min(1).max(3600).default(60),
  RUNWAY_CLICKHOUSE_HTTP_MAX_MEMORY: z.coerce.number().int().min(16 * 1024 ** 2).default(1024 ** 3),
  RUNWAY_CLICKHOUSE_HTTP_MAX_RESULT_BYTES: z.coerce.number().int().min(1024).default(64 * 1024 ** 2),
  RUNWAY_CLICKHOUSE_HTTP_MAX_THREADS: z.coerce.number().int().min(1).max(64).default(2),
  RUNWAY_CLICKHOUSE_HTTP_MAX_BODY_BYTES: z.coerce.number().int().min(1024).default(16 * 1024 ** 2),
  RUNWAY_AUTH: z.enum(['required', 'off']).default('off'),
  RUNWAY_AUTH_CACHE_TTL: DurationMs.default(30_000),
  RUNWAY_TOKEN: z.string().optional(),
  RUNWAY_POLICY_FILE: z.string().min(1).optional(),
  RUNWAY_METRIC_CATALOG: z.string().min(1).optional(),
  RUNWAY_LEDGER_JOURNAL: Flag.default(true),
  RUNWAY_LEDGER_KEY: z.string().min(32, 'must be at least 32 characters (e.g. openssl rand -hex 32)').optional(),
  RUNWAY_LEDGER_FLUSH: DurationMs.pipe(z.number().positive().max(60_000)).default(250),
  RUNWAY_EVENTS_JOURNAL: Flag.default(false),
  RUNWAY_EVENTS_FLUSH: DurationMs.pipe(z.number().positive().max(60_000)).default(50),
  RUNWAY_EVENTS_JOURNAL_MAX_ROWS: z.coerce.number().int().min(1).default(200_000),
  RUNWAY_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  RUNWAY_PUBLIC_URL: z.string().url().optional(),
  RUNWAY_WEBHOOK_URLS: z.string().default(''),
  RUNWAY_WEBHOOK_SECRET: z.string().optional(),
  RUNWAY_ALERTMANAGER_URL: z.string().url().optional(),
  RUNWAY_SLACK_WEBHOOK_URL: z.string().url().optional(),
  RUNWAY_NOTIFY_TIMEOUT: DurationMs.pipe(z.number().positive()).default(5_000),
  RUNWAY_NOTIFY_RETRY_BASE: DurationMs.pipe(z.number().positive()).default(1_000),
  RUNWAY_NOTIFY_RETRY_MAX: DurationMs.pipe(z.number().positive()).default(300_000),
  RUNWAY_ALERT_ROLLBACK_HOLD: DurationMs.pipe(z.number().positive()).default(3_600_000),
  /** Delivered outbox rows older than this are trimmed (undelivered ones never are). */
  RUNWAY_NOTIFY_RETENTION: DurationMs.pipe(z.number().min(3_600_000, 'must be at least 1h')).default(7 * 86_400_000),
})

/** Every environment variable Runway reads (the deployment files are checked against it). */
export const ENV_VARS: readonly string[] = Object.keys(EnvSchema.shape)

export interface RunwayConfig {
  dataDir: string
  host: string
  port: number
  /** Where CLI commands find a running server. */
  serverUrl: string
  /** Ingest bounds: body bytes, events per batch, nesting depth and bytes of one event; and group commit's rows per insert (0: off). */
  ingest: { maxBytes: number; maxEvents: number; maxDepth: number; maxLineBytes: number; groupCommitRows: number }
  /**
   * HTTP server timeouts: the whole request (headers and body) must arrive within
   * requestTimeoutMs, its headers within headersTimeoutMs; an idle keep-alive
   * connection is closed after keepAliveTimeoutMs.
   */
  http: { requestTimeoutMs: number; headersTimeoutMs: number; keepAliveTimeoutMs: number }
  /** How often the queue tries to start waiting experiments. */
  scheduleIntervalMs: number
  /** How often the interference job checks pairs of running experiments (docs/interference.md). */
  interferenceIntervalMs: number
  /**
   * RUNWAY_EVALUATE_TICK (default 1s): how often the evaluate-cycle job looks for running
   * experiments whose spec.evaluation.interval has passed since their last evaluation and
   * evaluates them together. An experiment is evaluated at most one tick after it is due.
   */
  evaluateTickMs: number
  /**
   * The evaluate-cycle job's incremental reads (src/services/evaluate-incremental.ts; bench/README.md
   * "Evaluation cycle"): RUNWAY_EVAL_INCREMENTAL (default off: its upkeep is a fixed cost that pays only on
   * large data — at 100 experiments and a few million events a cycle took 1.9 s against 1.1 s for a full read,
   * at 1,000 experiments and 100M events 54–58 s against 323–605 s, first cycle 656 s) keeps the
   * summed passes (CUPED's included) in memory and adds each cycle only the units touched since. The held sums leave
   * out events received in the last RUNWAY_EVAL_INCREMENTAL_GRACE (default 2s: what an insert usually
   * takes, as ingest stamps received_at before it); an event visible later than that is found by the
   * next cycle's count check and its experiment read from a base, so the grace trades re-bases against
   * delay, not exactness. Each experiment's held entries are read again from a base at most every
   * RUNWAY_EVAL_INCREMENTAL_REBASE (default 6h; at least half as often, staggered per experiment).
   * One-off evaluations (CLI, API) always read in full.
   */
  evaluateIncremental: { enabled: boolean; graceMs: number; rebaseMs: number }
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'
  /** Who CLI actions are recorded as, unless --actor is given. */
  actor: string
  /** Queue: priority points a waiting experiment gains per hour. */
  agingPerHour: number
  /** Housekeeping: how often it runs, and how long ended experiments stay before archiving. */
  housekeeping: { intervalMs: number; archiveAfterMs: number }
  /** Which parts this process runs (distributed deployments split them). */
  role: 'api' | 'worker' | 'controller' | 'all'
  /** Set: telemetry and verdicts go through Kafka; unset: the in-process bus. */
  kafka: { brokers: string[]; partitions: number; topicPrefix: string } | null
  /** Set: a ClickHouse server (or another runway's SQL endpoint); unset: embedded chDB under dataDir. */
  clickhouseUrl: string | null
  /** Set: state and jobs in Redis/BullMQ; unset: in memory / in process. */
  redis: { url: string; prefix: string } | null
  /** The ClickHouse-compatible HTTP endpoint over the embedded warehouse (docs/clickhouse-http.md). */
  clickhouseHttp: {
    enabled: boolean
    prefix: string
    /** A port of its own where the same endpoint answers at `/` (null: only under `prefix` on the API's port). */
    port: number | null
    writable: boolean
    user: string
    password: string
    maxConcurrent: number
    /** Limits on every query; clients cannot change them. */
    maxExecutionSeconds: number
    maxMemoryBytes: number
    maxResultBytes: number
    maxThreads: number
    /** Largest request body, before and after HTTP decompression. */
    maxBodyBytes: number
  }
  /**
   * API tokens. `off` (the default) trusts every caller, as the one-user embedded
   * default on loopback does; `required` checks a token and role on every route.
   * A revoked token stays valid on other API replicas for at most cacheTtlMs.
   */
  auth: { mode: 'required' | 'off'; cacheTtlMs: number }
  /** The token CLI commands send to a server (RUNWAY_TOKEN), if any. */
  token: string | null
  /** Policy rules (RUNWAY_POLICY_FILE, read once here); without a file, the built-in defaults. */
  policy: PolicyConfig
  /** Shared metric definitions per namespace (RUNWAY_METRIC_CATALOG, read once here; docs/slis.md). */
  metricCatalog: MetricCatalog | null
  /**
   * Embedded warehouse only: ledger writes (specs, transitions, chain heads) are
   * acknowledged once durable in a local journal and written to the warehouse in
   * one insert per table every flushMs, or before any read (adapters/warehouse/journaled-warehouse.ts).
   */
  ledgerJournal: { enabled: boolean; flushMs: number }
  /**
   * Embedded warehouse only, opt-in: ingest's events (with their dead letters and masking counters) are
   * acknowledged once durable in `<dataDir>/events-journal` and written in one insert per flushMs, or
   * before any read; past maxPendingRows waiting, a batch waits for a flush (adapters/warehouse/events-journal.ts).
   */
  eventsJournal: { enabled: boolean; flushMs: number; maxPendingRows: number }
  /** Set: ledger entries are HMAC-SHA256 under this secret (domain/ledger-chain.ts); unset: plain SHA-256. */
  ledgerKey: LedgerKey | null
  /** Outgoing notifications (docs/notifications.md); no URL set: no outbox writes at all. */
  notify: {
    publicUrl: string
    webhookUrls: string[]
    webhookSecret: string | null
    alertmanagerUrl: string | null
    slackWebhookUrl: string | null
    timeoutMs: number
    retryBaseMs: number
    retryMaxMs: number
    rollbackAlertHoldMs: number
    /** RUNWAY_NOTIFY_RETENTION: how long delivered events stay in the outbox (default 7 days). */
    retentionMs: number
  }
}

export function loadConfig(env: Record<string, string | undefined> = process.env, overrides: Partial<RunwayConfig> = {}): RunwayConfig {
  const parsed = EnvSchema.safeParse(env)
  if (!parsed.success) throw new InputError('invalid environment configuration', problemsOf(parsed.error), 'INVALID_CONFIG')
  const e = parsed.data
  // With auth required the ClickHouse endpoint takes API tokens; a shared password (or none) would leave it anonymous.
  if (e.RUNWAY_AUTH === 'required' && e.RUNWAY_CLICKHOUSE_HTTP && (env.RUNWAY_CLICKHOUSE_HTTP_PASSWORD !== undefined || env.RUNWAY_CLICKHOUSE_HTTP_USER !== undefined)) {
    throw new InputError('invalid environment configuration', [{ path: 'RUNWAY_CLICKHOUSE_HTTP_PASSWORD', message: 'with RUNWAY_AUTH=required the /clickhouse endpoint takes a Runway API token as the password; unset RUNWAY_CLICKHOUSE_HTTP_USER/PASSWORD' }], 'INVALID_CONFIG')
  }
  if (e.RUNWAY_HTTP_HEADERS_TIMEOUT > e.RUNWAY_HTTP_REQUEST_TIMEOUT) {
    // Node refuses such a server: the headers are part of the request.
    throw new InputError('invalid environment configuration', [{ path: 'RUNWAY_HTTP_HEADERS_TIMEOUT', message: `must not exceed RUNWAY_HTTP_REQUEST_TIMEOUT (${e.RUNWAY_HTTP_REQUEST_TIMEOUT} ms)` }], 'INVALID_CONFIG')
  }
  for (const u of e.RUNWAY_WEBHOOK_URLS.split(',').map((x) => x.trim()).filter(Boolean)) {
    if (!/^https?:\/\/[^\s]+$/.test(u)) throw new InputError('invalid environment configuration', [{ path: 'RUNWAY_WEBHOOK_URLS', message: `not an http(s) URL: ${u}` }], 'INVALID_CONFIG')
  }
  const config: RunwayConfig = {
    dataDir: resolve(e.RUNWAY_DATA_DIR),
    host: e.RUNWAY_HOST,
    port: e.RUNWAY_PORT,
    serverUrl: e.RUNWAY_URL ?? `http://${e.RUNWAY_HOST}:${e.RUNWAY_PORT}`,
    ingest: { maxBytes: e.RUNWAY_INGEST_MAX_BYTES, maxEvents: e.RUNWAY_INGEST_MAX_EVENTS, maxDepth: e.RUNWAY_INGEST_MAX_DEPTH, maxLineBytes: e.RUNWAY_INGEST_MAX_LINE_BYTES, groupCommitRows: e.RUNWAY_INGEST_GROUP_COMMIT_ROWS ?? (e.CLICKHOUSE_URL ? 0 : 50_000) },
    http: { requestTimeoutMs: e.RUNWAY_HTTP_REQUEST_TIMEOUT, headersTimeoutMs: e.RUNWAY_HTTP_HEADERS_TIMEOUT, keepAliveTimeoutMs: e.RUNWAY_HTTP_KEEP_ALIVE_TIMEOUT },
    scheduleIntervalMs: e.RUNWAY_SCHEDULE_INTERVAL,
    interferenceIntervalMs: e.RUNWAY_INTERFERENCE_INTERVAL,
    evaluateTickMs: e.RUNWAY_EVALUATE_TICK,
    evaluateIncremental: { enabled: e.RUNWAY_EVAL_INCREMENTAL, graceMs: e.RUNWAY_EVAL_INCREMENTAL_GRACE, rebaseMs: e.RUNWAY_EVAL_INCREMENTAL_REBASE },
    logLevel: e.RUNWAY_LOG_LEVEL,
    actor: e.USER,
    agingPerHour: e.RUNWAY_AGING_PER_HOUR,
    housekeeping: { intervalMs: e.RUNWAY_HOUSEKEEPING_INTERVAL, archiveAfterMs: e.RUNWAY_ARCHIVE_AFTER },
    role: e.RUNWAY_ROLE,
    kafka: e.KAFKA_BROKERS
      ? { brokers: e.KAFKA_BROKERS.split(',').map((b) => b.trim()).filter(Boolean), partitions: e.RUNWAY_KAFKA_PARTITIONS, topicPrefix: e.RUNWAY_TOPIC_PREFIX }
      : null,
    clickhouseUrl: e.CLICKHOUSE_URL ?? null,
    redis: e.REDIS_URL ? { url: e.REDIS_URL, prefix: e.RUNWAY_REDIS_PREFIX } : null,
    clickhouseHttp: {
      enabled: e.RUNWAY_CLICKHOUSE_HTTP,
      prefix: e.RUNWAY_CLICKHOUSE_HTTP_PREFIX,
      port: e.RUNWAY_CLICKHOUSE_HTTP_PORT ?? null,
      writable: e.RUNWAY_CLICKHOUSE_HTTP_WRITABLE,
      user: e.RUNWAY_CLICKHOUSE_HTTP_USER,
      password: e.RUNWAY_CLICKHOUSE_HTTP_PASSWORD,
      maxConcurrent: e.RUNWAY_CLICKHOUSE_HTTP_MAX_CONCURRENT,
      maxExecutionSeconds: e.RUNWAY_CLICKHOUSE_HTTP_MAX_EXECUTION_TIME,
      maxMemoryBytes: e.RUNWAY_CLICKHOUSE_HTTP_MAX_MEMORY,
      maxResultBytes: e.RUNWAY_CLICKHOUSE_HTTP_MAX_RESULT_BYTES,
      maxThreads: e.RUNWAY_CLICKHOUSE_HTTP_MAX_THREADS,
      maxBodyBytes: e.RUNWAY_CLICKHOUSE_HTTP_MAX_BODY_BYTES,
    },
    auth: { mode: e.RUNWAY_AUTH, cacheTtlMs: e.RUNWAY_AUTH_CACHE_TTL },
    token: e.RUNWAY_TOKEN || null,
    policy: e.RUNWAY_POLICY_FILE ? loadPolicyFile(e.RUNWAY_POLICY_FILE) : DEFAULT_POLICY_CONFIG,
    metricCatalog: e.RUNWAY_METRIC_CATALOG ? loadMetricCatalogFile(e.RUNWAY_METRIC_CATALOG) : null,
    ledgerJournal: { enabled: e.RUNWAY_LEDGER_JOURNAL, flushMs: e.RUNWAY_LEDGER_FLUSH },
    eventsJournal: { enabled: e.RUNWAY_EVENTS_JOURNAL, flushMs: e.RUNWAY_EVENTS_FLUSH, maxPendingRows: e.RUNWAY_EVENTS_JOURNAL_MAX_ROWS },
    ledgerKey: e.RUNWAY_LEDGER_KEY ? ledgerKey(e.RUNWAY_LEDGER_KEY) : null,
    notify: {
      publicUrl: e.RUNWAY_PUBLIC_URL ?? e.RUNWAY_URL ?? `http://${e.RUNWAY_HOST}:${e.RUNWAY_PORT}`,
      webhookUrls: e.RUNWAY_WEBHOOK_URLS.split(',').map((u) => u.trim()).filter(Boolean),
      webhookSecret: e.RUNWAY_WEBHOOK_SECRET || null,
      alertmanagerUrl: e.RUNWAY_ALERTMANAGER_URL ?? null,
      slackWebhookUrl: e.RUNWAY_SLACK_WEBHOOK_URL ?? null,
      timeoutMs: e.RUNWAY_NOTIFY_TIMEOUT,
      retryBaseMs: e.RUNWAY_NOTIFY_RETRY_BASE,
      retryMaxMs: e.RUNWAY_NOTIFY_RETRY_MAX,
      rollbackAlertHoldMs: e.RUNWAY_ALERT_ROLLBACK_HOLD,
      retentionMs: e.RUNWAY_NOTIFY_RETENTION,
    },
  }
  return { ...config, ...overrides, dataDir: resolve(overrides.dataDir ?? config.dataDir) }
}
