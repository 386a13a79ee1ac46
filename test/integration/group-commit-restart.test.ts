import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { type ChildScript, runScript } from '../support/child-lines.js'

/**
 * Group commit across a crash: a process acknowledges 16 batches (one alone, the rest in a
 * combined insert), is killed with SIGKILL, and a new process on the same data directory gets
 * every batch again (grouped with strangers, and one alone). Each is stored once: its own
 * token was written with its first event and is read back before the first insert. Before
 * migration 0026 the engine knew only the group's token and these retries were stored twice.
 */
const dirs: string[] = []
const children: ChildScript[] = []
const envFor = (name: string) => {
  const dir = mkdtempSync(join(tmpdir(), `runway-group-${name}-`))
  dirs.push(dir)
  return { GC_DIR: dir, GC_EXP: `gc${name}-${Date.now().toString(36)}`, GC_TS: String(Date.now() - 60_000) }
}

afterAll(async () => {
  for (const c of children) await c.stop(2_000)
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

describe('group commit survives kill -9', () => {
  it('a batch acknowledged inside a group, retried after a SIGKILL and restart, is stored once', async () => {
    const env = envFor('acked')
    const first = runScript('../integration/group-commit-restart-child.ts', { ...env, GC_MODE: 'first' })
    children.push(first)
    const acked = await first.waitFor((l) => l.type === 'all-acked', 60_000)
    expect(first.lines.filter((l) => l.type === 'acked' && l.accepted === 100)).toHaveLength(16)
    // Grouped for real: 16 calls in fewer inserts (the first alone, then the ones queued behind it).
    expect(Number(acked.calls)).toBe(16)
    expect(Number(acked.inserts)).toBeLessThan(16)
    const exited = new Promise((resolve) => first.child.once('exit', resolve))
    first.child.kill('SIGKILL')
    await exited
    expect(first.child.signalCode).toBe('SIGKILL')

    const second = runScript('../integration/group-commit-restart-child.ts', { ...env, GC_MODE: 'retry' })
    children.push(second)
    const counts = await second.waitFor((l) => l.type === 'counts', 60_000)
    expect(counts.distinct).toBe(2_000) // 16 batches + 4 new ones, 100 events each
    expect(counts.total).toBe(2_000) // none stored twice
    expect(Number(counts.restored)).toBe(16) // the 16 tokens read back from events
    expect(Number(counts.skippedRetries)).toBeGreaterThanOrEqual(17) // 16 retries and batch 3 again
  }, 120_000)

  it('a group stored but not acknowledged (killed right after its insert) is stored once when its batches are retried', async () => {
    const env = envFor('unacked')
    const first = runScript('../integration/group-commit-restart-child.ts', { ...env, GC_MODE: 'crash' })
    children.push(first)
    await new Promise((resolve) => first.child.once('exit', resolve))
    expect(first.child.signalCode).toBe('SIGKILL')
    // Only the lone first batch was answered; the other 15 were stored in the combined insert but never acknowledged.
    expect(first.lines.filter((l) => l.type === 'acked').length).toBeLessThanOrEqual(1)
    const second = runScript('../integration/group-commit-restart-child.ts', { ...env, GC_MODE: 'retry' })
    children.push(second)
    const counts = await second.waitFor((l) => l.type === 'counts', 60_000)
    expect(counts.distinct).toBe(2_000)
    expect(counts.total).toBe(2_000)
    expect(Number(counts.restored)).toBe(16)
  }, 120_000)
})
