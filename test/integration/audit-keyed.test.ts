import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { chainEntry, keyIdOf, ledgerKey } from '../../src/domain/ledger-chain.js'
import { verifyLedger } from '../../src/services/audit.js'
import { readLedger } from '../../src/services/ledger.js'
import { type Embedded, getJson, specBody, startEmbedded } from '../support/embedded.js'
import { runMain } from '../support/run-main.js'

/**
 * A runway with RUNWAY_LEDGER_KEY: every entry is an HMAC. A forger who can run
 * SQL and knows the algorithm rewrites an entry, re-hashes the rest of the chain
 * and rewrites ledger_heads to match; without the key the rewrite still shows.
 */
const SECRET = 'test-ledger-key-0123456789abcdef0123456789'
const key = ledgerKey(SECRET)
const person = { type: 'person' as const, id: 'alice' }
let rt: Embedded

beforeAll(async () => {
  rt = await startEmbedded({ config: { ledgerKey: key } })
  for (const id of ['k-1', 'k-2']) {
    expect((await rt.runtime.queue.enqueue(specBody({ id, layer: id }), person)).accepted).toBe(true)
  }
  await rt.runtime.queue.scheduleTick()
})
afterAll(async () => {
  await rt.stop()
  rt.cleanup()
})

// The command's settings for one call; what it prints on stderr is not looked at.
const cli = (args: string[], env: Record<string, string | undefined>) => runMain(args, env)

describe('keyed ledger', () => {
  it('writes every entry keyed, and verifies with the key', async () => {
    const entries = await readLedger(rt.runtime.warehouse, 'k-1')
    expect(entries.map((e) => e.to)).toEqual(['queued', 'scheduled', 'running'])
    for (const e of entries) expect(keyIdOf(e.hash)).toBe(key.id)
    expect((await getJson(rt.baseUrl, '/v1/audit/verify')).body).toMatchObject({ ok: true, problems: [] })
    expect((await getJson(rt.baseUrl, '/v1/audit/replay')).body).toMatchObject({ ok: true, differences: [] })
  })

  it('a consistent rewrite of lifecycle and ledger_heads without the key is named; a verifier without the key says it cannot check', async () => {
    const w = rt.runtime.warehouse
    const sync = 'SETTINGS mutations_sync = 2'
    const [, second, third] = await readLedger(w, 'k-2')
    const forged2 = chainEntry(second!.prevHash, { ...second!, reason: 'capacity was never reserved' })
    const forged3 = chainEntry(forged2.hash, third!)
    for (const f of [forged2, forged3]) {
      await w.command(`ALTER TABLE lifecycle UPDATE reason = '${f.reason}', prev_hash = '${f.prevHash}', hash = '${f.hash}' WHERE experiment_id = 'k-2' AND seq = ${f.seq} ${sync}`)
      await w.command(`ALTER TABLE ledger_heads UPDATE hash = '${f.hash}' WHERE experiment_id = 'k-2' AND seq = ${f.seq} ${sync}`)
    }
    // Offline (no live state), only the key can tell.
    const offline = await verifyLedger(w, undefined, key)
    expect(offline.problems.map(({ experimentId, seq, kind }) => ({ experimentId, seq, kind }))).toEqual([
      { experimentId: 'k-2', seq: 2, kind: 'altered' },
      { experimentId: 'k-2', seq: 3, kind: 'altered' },
    ])
    expect((await verifyLedger(w)).problems.filter((p) => p.experimentId === 'k-1').map((p) => p.kind)).toEqual(['unverifiable', 'unverifiable', 'unverifiable'])

    await rt.stop() // the data directory, read on its own by the CLI
    const withKey = await cli(['audit', 'verify', '--data-dir', rt.dataDir, '--json'], { RUNWAY_LEDGER_KEY: SECRET })
    expect(withKey.code).toBe(1)
    expect(JSON.parse(withKey.stdout).problems.map((p: { seq: number; kind: string }) => `${p.seq}:${p.kind}`)).toEqual(['2:altered', '3:altered'])
    const withoutKey = await cli(['audit', 'verify', '--data-dir', rt.dataDir, '--json'], { RUNWAY_LEDGER_KEY: undefined })
    expect(withoutKey.code).toBe(1)
    // Keyed entries cannot be checked without the key; the forged ones are still caught, as unkeyed after keyed ones.
    expect(JSON.parse(withoutKey.stdout).problems.map((p: { experimentId: string; seq: number; kind: string }) => `${p.experimentId} ${p.seq}:${p.kind}`)).toEqual([
      'k-1 1:unverifiable', 'k-1 2:unverifiable', 'k-1 3:unverifiable', 'k-2 1:unverifiable', 'k-2 2:altered', 'k-2 3:altered',
    ])
    expect(withoutKey.stdout).toContain(`ledger key ${key.id}`)
    rt = await startEmbedded({ dataDir: rt.dataDir, config: { ledgerKey: key } })
  })
})
