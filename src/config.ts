import { resolve } from 'node:path'
import { z } from 'zod'
import { parseDuration } from './domain/duration.js'
import { InputError } from './errors.js'
import { problemsOf } from './domain/validation.js'

const DurationMs = z.string().transform((s, ctx) => {
  const ms = parseDuration(s)
  if (ms === null) {
    ctx.addIssue({ code: 'custom', message: `invalid duration "${s}"` })
    return z.NEVER
  }
  return ms
})

/** Environment variables Runway reads, with their defaults. Parsed once, here. */
const EnvSchema = z.object({
  RUNWAY_DATA_DIR: z.string().default('./data'),
  RUNWAY_HOST: z.string().default('127.0.0.1'),
  RUNWAY_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  RUNWAY_URL: z.string().url().optional(),
  RUNWAY_INGEST_MAX_BYTES: z.coerce.number().int().positive().default(10 * 1024 * 1024),
  RUNWAY_INGEST_MAX_EVENTS: z.coerce.number().int().positive().default(50_000),
  RUNWAY_SCHEDULE_INTERVAL: DurationMs.default(5_000),
  USER: z.string().default('cli'),
  RUNWAY_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
})

export interface RunwayConfig {
  dataDir: string
  host: string
  port: number
  /** Where CLI commands find a running server. */
  serverUrl: string
  ingest: { maxBytes: number; maxEvents: number }
  /** How often the queue tries to start waiting experiments. */
  scheduleIntervalMs: number
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'
  /** Who CLI actions are recorded as, unless --actor is given. */
  actor: string
}

export function loadConfig(env: Record<string, string | undefined> = process.env, overrides: Partial<RunwayConfig> = {}): RunwayConfig {
  const parsed = EnvSchema.safeParse(env)
  if (!parsed.success) throw new InputError('invalid environment configuration', problemsOf(parsed.error), 'INVALID_CONFIG')
  const e = parsed.data
  const config: RunwayConfig = {
    dataDir: resolve(e.RUNWAY_DATA_DIR),
    host: e.RUNWAY_HOST,
    port: e.RUNWAY_PORT,
    serverUrl: e.RUNWAY_URL ?? `http://${e.RUNWAY_HOST}:${e.RUNWAY_PORT}`,
    ingest: { maxBytes: e.RUNWAY_INGEST_MAX_BYTES, maxEvents: e.RUNWAY_INGEST_MAX_EVENTS },
    scheduleIntervalMs: e.RUNWAY_SCHEDULE_INTERVAL,
    logLevel: e.RUNWAY_LOG_LEVEL,
    actor: e.USER,
  }
  return { ...config, ...overrides, dataDir: resolve(overrides.dataDir ?? config.dataDir) }
}
