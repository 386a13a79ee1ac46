import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Embedded, getJson, postJson, specBody, startEmbedded } from '../support/embedded.js'

/**
 * The embedded runtime with the ledger journal and a flush window far longer
 * than the test: whatever is seen in the warehouse was written because a read
 * asked for it, not because the window passed.
 */
let rt: Embedded
const slow = { ledgerJournal: { enabled: true, flushMs: 60_000 } }
const segments = () => readdirSync(join(rt.dataDir, 'ledger-journal')).filter((f) => f.endsWith('.ndjson'))

beforeAll(async () => {
  rt = await startEmbedded({ config: slow })
})
afterAll(async () => {
  await rt.stop()
  rt.cleanup()
})

const sql = async (query: string) => (await (await fetch(`${rt.baseUrl}/clickhouse/?query=${encodeURIComponent(query)}`)).text()).trim()

describe('ledger journal in the embedded runtime', () => {
  it('an enqueue is acknowledged from the journal, and the ClickHouse endpoint already sees it', async () => {
    expect((await postJson(rt.baseUrl, '/v1/experiments', specBody({ id: 'lj-1', layer: 'lj' }))).status).toBe(201)
    expect(segments().length).toBe(1) // acknowledged, not yet in the engine
    expect(await sql(`SELECT count() FROM lifecycle WHERE experiment_id = 'lj-1'`)).toBe('1')
    expect(await sql(`SELECT count() FROM ledger_heads WHERE experiment_id = 'lj-1'`)).toBe('1')
    expect(await sql(`SELECT JSONExtractString(spec, 'id') FROM experiments FINAL WHERE id = 'lj-1'`)).toBe('lj-1')
    expect(segments()).toEqual([])
  })

  it('the API reads its own writes: the ledger of a just-enqueued experiment, and a clean audit', async () => {
    expect((await postJson(rt.baseUrl, '/v1/experiments', specBody({ id: 'lj-2', layer: 'lj2' }))).status).toBe(201)
    const one = await getJson(rt.baseUrl, '/v1/experiments/lj-2')
    expect(one.body.ledger).toMatchObject([{ experimentId: 'lj-2', seq: 1, to: 'queued' }])
    const audit = await getJson(rt.baseUrl, '/v1/audit/verify')
    expect(audit.body).toMatchObject({ ok: true, problems: [] })
  })

  it('a stop writes what is journaled; a restart rebuilds the same state from the warehouse', async () => {
    expect((await postJson(rt.baseUrl, '/v1/experiments', specBody({ id: 'lj-3', layer: 'lj3' }))).status).toBe(201)
    const before = (await rt.runtime.state.get('lj-3'))!
    await rt.stop()
    expect(segments()).toEqual([])
    rt = await startEmbedded({ dataDir: rt.dataDir, config: slow })
    const after = (await rt.runtime.state.get('lj-3'))!
    expect({ state: after.state, ledgerSeq: after.ledgerSeq, ledgerHash: after.ledgerHash }).toEqual({ state: before.state, ledgerSeq: before.ledgerSeq, ledgerHash: before.ledgerHash })
  })
})
