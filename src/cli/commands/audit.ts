import type { LedgerKey } from '../../domain/ledger-chain.js'
import type { StateDifference } from '../../domain/replay-diff.js'
import type { Warehouse } from '../../ports/warehouse.js'
import { type VerifyResult, replayLedger, verifyLedger } from '../../services/audit.js'
import { openEmbeddedWarehouse } from '../../services/ports.js'
import { callServer, errorMessage } from '../client.js'
import { CliExit, table } from '../output.js'

type Source = { server: string; json?: boolean | undefined } | { dataDir: string; key?: LedgerKey | null; json?: boolean | undefined }

interface ReplayAnswer {
  ok: boolean | null
  differences: StateDifference[]
  experiments: Array<{ id: string; state: string; step: number; ledgerSeq: number; ledgerHash: string }>
}

/**
 * `runway audit verify|replay`. A server compares with its live state; a data
 * directory is read on its own (the embedded live state lives in the server
 * process), so there the ledger_heads table is the only witness beside the chain.
 */
export async function auditCommand(what: 'verify' | 'replay', source: Source): Promise<void> {
  if (what === 'verify') return report(await verify(source), source.json)
  const answer = await replay(source)
  if (source.json) console.log(JSON.stringify(answer, null, 2))
  else printReplay(answer)
  if (answer.ok === false) throw new CliExit(1, source.json ? '' : `replay differs from the live state in ${answer.differences.length} field(s)`)
}

async function verify(source: Source): Promise<VerifyResult> {
  if ('dataDir' in source) return withWarehouse(source.dataDir, (w) => verifyLedger(w, undefined, source.key))
  return fromServer<VerifyResult>(source.server, '/v1/audit/verify')
}

async function replay(source: Source): Promise<ReplayAnswer> {
  if ('server' in source) return fromServer<ReplayAnswer>(source.server, '/v1/audit/replay')
  const records = await withWarehouse(source.dataDir, (w) => replayLedger(w))
  return {
    ok: null, // nothing live to compare with
    differences: [],
    experiments: records.map((r) => ({ id: r.spec.id, state: r.state, step: r.step, ledgerSeq: r.ledgerSeq, ledgerHash: r.ledgerHash })),
  }
}

function report(result: VerifyResult, json?: boolean): void {
  if (json) console.log(JSON.stringify(result, null, 2))
  else if (result.ok) console.log(`ledger verified: ${result.checked} entries in ${result.experiments} experiment chains, no problems`)
  else console.log(table(['EXPERIMENT', 'SEQ', 'KIND', 'PROBLEM'], result.problems.map((p) => [p.experimentId, p.seq, p.kind, p.message])))
  if (!result.ok) throw new CliExit(1, json ? '' : `ledger verification failed: ${result.problems.length} problem(s) in ${result.checked} entries`)
}

function printReplay(answer: ReplayAnswer): void {
  console.log(
    table(
      ['EXPERIMENT', 'STATE', 'STEP', 'LEDGER SEQ', 'HEAD'],
      answer.experiments.map((e) => [e.id, e.state, e.step + 1, e.ledgerSeq, e.ledgerHash.slice(0, 16)]),
    ),
  )
  if (answer.ok === null) console.log('\n(replayed from the data directory alone; compare with a running server with --server)')
  else if (answer.ok) console.log(`\nreplay equals the live state for all ${answer.experiments.length} experiments`)
  else {
    const show = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v))
    console.log(`\n${table(['EXPERIMENT', 'FIELD', 'LIVE', 'REPLAYED'], answer.differences.map((d) => [d.experimentId, d.field, show(d.live), show(d.replayed)]))}`)
  }
}

async function fromServer<T>(server: string, path: string): Promise<T> {
  const res = await callServer(server, path)
  if (res.status !== 200) throw new CliExit(1, `audit failed (HTTP ${res.status}): ${errorMessage(res.body)}`)
  return res.body as T
}

async function withWarehouse<T>(dataDir: string, fn: (w: Warehouse) => Promise<T>): Promise<T> {
  // With the journal: what a stopped (or crashed) runway acknowledged is part of the ledger.
  const warehouse = await openEmbeddedWarehouse({ dataDir, ledgerJournal: { enabled: true, flushMs: 250 } })
  try {
    return await fn(warehouse)
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    // An older data directory lacks the chain columns until it is migrated.
    if (/prev_hash|ledger_heads/.test(message)) throw new CliExit(1, `${message}\n(run \`runway migrate --data-dir ${dataDir}\` first)`)
    throw error
  } finally {
    await warehouse.close()
  }
}
