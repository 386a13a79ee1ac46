import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config.js'
import { type Embedded, T0, specBody, startEmbedded } from '../support/embedded.js'

/**
 * A batch lands in `events` and `unit_metrics` together or not at all, proven
 * on a disk that fills up: the warehouse lives on a small tmpfs, and batches are
 * posted until the engine refuses them. After every answer both tables hold
 * exactly the events of the acknowledged batches. Before migration 0010 the
 * per-unit aggregates were a materialized view's own table, and a refused batch
 * left its events without their aggregates (113,000 against 112,000 rows here).
 *
 * Mounting needs root; elsewhere the test is skipped (it says so).
 */
const root = typeof process.getuid === 'function' && process.getuid() === 0
const MOUNT_MB = 64
const FREE_FOR_BATCHES = 6 * 1024 * 1024

let mount = ''
let rt: Embedded | undefined
let filler = ''

beforeAll(async () => {
  if (!root) return
  mount = mkdtempSync(join(tmpdir(), 'runway-full-disk-'))
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${MOUNT_MB}m`, 'tmpfs', mount])
  rt = await startEmbedded({ dataDir: join(mount, 'data'), config: { ingest: { ...loadConfig({}).ingest, maxBytes: 8 * 1024 * 1024 } } })
  const created = await fetch(`${rt.baseUrl}/v1/experiments`, { method: 'POST', body: JSON.stringify(specBody({ id: 'disk-a' })), headers: { 'content-type': 'application/json' } })
  expect(created.status).toBe(201)
  // Leave a few MB: a few batches fit, then the engine runs out of room.
  const fs = statfsSync(mount)
  filler = join(mount, 'filler')
  writeFileSync(filler, Buffer.alloc(Math.max(0, fs.bavail * fs.bsize - FREE_FOR_BATCHES)))
})

afterAll(async () => {
  if (!root) return
  await rt?.stop()
  try {
    execFileSync('umount', [mount])
  } finally {
    rmSync(mount, { recursive: true, force: true })
  }
})

let seq = 0
/** 1,000 events with incompressible attributes (about 450 KB once stored). */
function batch(): string {
  const lines: string[] = []
  for (let i = 0; i < 1000; i++) {
    seq++
    lines.push(
      JSON.stringify({
        eventId: `disk-${seq}`,
        ts: T0 + seq,
        experimentId: 'disk-a',
        variant: seq % 2 === 0 ? 'control' : 'treatment',
        unitId: `u-${seq % 5000}`,
        metric: 'latency_ms',
        value: seq % 97,
        attributes: { pad: randomBytes(200).toString('base64') },
      }),
    )
  }
  return lines.join('\n')
}

const post = async (body: string) => {
  const res = await fetch(`${rt!.baseUrl}/v1/events`, { method: 'POST', body, headers: { 'content-type': 'application/x-ndjson' } })
  return { status: res.status, body: (await res.json()) as any }
}
const counts = async () => {
  const [row] = await rt!.runtime.warehouse.select<{ events: number; aggregated: number }>(
    "SELECT (SELECT count() FROM events WHERE experiment_id = 'disk-a') AS events, (SELECT sum(events) FROM unit_metrics WHERE experiment_id = 'disk-a') AS aggregated",
  )
  return { events: Number(row!.events), aggregated: Number(row!.aggregated) }
}

describe.skipIf(!root)('a full disk', () => {
  it('never leaves events and unit_metrics disagreeing, and a retry once there is room stores the batch once', async () => {
    let acknowledged = 0
    const refused: string[] = []
    for (let i = 0; i < 60 && refused.length < 3; i++) {
      const body = batch()
      const res = await post(body)
      if (res.status === 200) {
        expect(res.body).toMatchObject({ accepted: 1000, rejected: 0 })
        acknowledged += 1000
      } else {
        expect(res.status, JSON.stringify(res.body)).toBe(503)
        expect(res.body.error.code).toBe('DEPENDENCY_FAILED')
        expect(res.body.error.message).toMatch(/not enough space|No space left/i)
        refused.push(body)
      }
      // After every answer, acknowledged or not: both tables hold exactly the acknowledged events.
      expect(await counts()).toEqual({ events: acknowledged, aggregated: acknowledged })
    }
    expect(acknowledged, 'some batches fit before the disk filled').toBeGreaterThan(0)
    expect(refused.length, 'the disk filled up').toBe(3)

    // Room again: the first refused batch, retried as it was, is stored once, in both.
    rmSync(filler)
    const retry = await post(refused[0]!)
    expect(retry.status, JSON.stringify(retry.body)).toBe(200)
    expect(retry.body.accepted).toBe(1000)
    const again = await post(refused[0]!) // an identical body is deduplicated
    expect(again.status).toBe(200)
    expect(await counts()).toEqual({ events: acknowledged + 1000, aggregated: acknowledged + 1000 })
  })
})
