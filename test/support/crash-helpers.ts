import type { ChildProcess } from 'node:child_process'
import { expect } from 'vitest'

/** Resolves once the process has exited (at once if it already has). */
export const exited = (proc: ChildProcess): Promise<unknown> =>
  proc.exitCode !== null || proc.signalCode !== null ? Promise.resolve() : new Promise((r) => proc.once('exit', r))

/**
 * A read-only query through a server's ClickHouse-compatible endpoint (which flushes any journal
 * first), one JSON row per line. The crash tests read only this way: the test process never opens chDB.
 */
export async function chRows<T>(url: string, sql: string): Promise<T[]> {
  const res = await fetch(`${url}/clickhouse/?user=default`, { method: 'POST', body: `${sql} FORMAT JSONEachRow` })
  const text = await res.text()
  expect(res.status, text).toBe(200)
  return text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as T)
}
