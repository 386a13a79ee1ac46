import { describe, expect, it } from 'vitest'
import { ENV_VARS, loadConfig } from '../../../src/config.js'

describe('ingest and HTTP settings', () => {
  it('defaults: depth 8, 64 KiB events, 60 s request, 10 s headers, 5 s keep-alive', () => {
    const c = loadConfig({})
    expect(c.ingest).toEqual({ maxBytes: 10 * 1024 * 1024, maxEvents: 50_000, maxDepth: 8, maxLineBytes: 64 * 1024, groupCommitRows: 50_000 })
    expect(c.http).toEqual({ requestTimeoutMs: 60_000, headersTimeoutMs: 10_000, keepAliveTimeoutMs: 5_000 })
  })

  it('reads each variable, durations with units', () => {
    const c = loadConfig({
      RUNWAY_INGEST_MAX_DEPTH: '4',
      RUNWAY_INGEST_MAX_LINE_BYTES: '2048',
      RUNWAY_HTTP_REQUEST_TIMEOUT: '2m',
      RUNWAY_HTTP_HEADERS_TIMEOUT: '500ms',
      RUNWAY_HTTP_KEEP_ALIVE_TIMEOUT: '30s',
    })
    expect(c.ingest).toMatchObject({ maxDepth: 4, maxLineBytes: 2048 })
    expect(loadConfig({ RUNWAY_INGEST_GROUP_COMMIT_ROWS: '20000' }).ingest.groupCommitRows).toBe(20_000)
    // A server may be shared by several runway processes, which do not know each other's grouped tokens: off unless set.
    expect(loadConfig({ CLICKHOUSE_URL: 'http://127.0.0.1:8123' }).ingest.groupCommitRows).toBe(0)
    expect(loadConfig({ CLICKHOUSE_URL: 'http://127.0.0.1:8123', RUNWAY_INGEST_GROUP_COMMIT_ROWS: '1000' }).ingest.groupCommitRows).toBe(1000)
    expect(() => loadConfig({ RUNWAY_INGEST_GROUP_COMMIT_ROWS: '-1' })).toThrow()
    expect(c.http).toEqual({ requestTimeoutMs: 120_000, headersTimeoutMs: 500, keepAliveTimeoutMs: 30_000 })
    for (const v of ['RUNWAY_INGEST_MAX_DEPTH', 'RUNWAY_INGEST_MAX_LINE_BYTES', 'RUNWAY_HTTP_REQUEST_TIMEOUT', 'RUNWAY_HTTP_HEADERS_TIMEOUT', 'RUNWAY_HTTP_KEEP_ALIVE_TIMEOUT']) {
      expect(ENV_VARS).toContain(v)
    }
  })

  it.each([
    [{ RUNWAY_INGEST_MAX_DEPTH: '1' }, 'RUNWAY_INGEST_MAX_DEPTH'],
    [{ RUNWAY_INGEST_MAX_LINE_BYTES: '10' }, 'RUNWAY_INGEST_MAX_LINE_BYTES'],
    [{ RUNWAY_HTTP_REQUEST_TIMEOUT: 'soon' }, 'RUNWAY_HTTP_REQUEST_TIMEOUT'],
    [{ RUNWAY_HTTP_KEEP_ALIVE_TIMEOUT: '0s' }, 'RUNWAY_HTTP_KEEP_ALIVE_TIMEOUT'],
    [{ RUNWAY_HTTP_HEADERS_TIMEOUT: '90s' }, 'RUNWAY_HTTP_HEADERS_TIMEOUT'], // longer than the request timeout
  ])('refuses %j, naming %s', (env, path) => {
    try {
      loadConfig(env)
      expect.unreachable('accepted')
    } catch (error) {
      expect((error as { code: string }).code).toBe('INVALID_CONFIG')
      expect((error as { problems: Array<{ path: string }> }).problems.map((p) => p.path)).toContain(path)
    }
  })
})
