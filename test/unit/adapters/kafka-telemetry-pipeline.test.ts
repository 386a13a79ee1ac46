import type { EachBatchPayload, KafkaMessage } from 'kafkajs'
import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import { KafkaTelemetryConsumer, OneInFlight } from '../../../src/adapters/bus/kafka-telemetry-consumer.js'
import type { IngestService, LinesResult, PreparedLines, SourceLine } from '../../../src/services/ingest.js'

/**
 * The consumer's pipelining (issue 16 item 1): the next chunk is validated while the one before it is
 * inserted, but offsets are committed only after the insert, in offset order, and an insert that fails
 * lets no later chunk be written or committed. No broker: the consumer's batch handler runs on a fake
 * batch, with kafkajs' commit and offset read replaced by recorders (nothing connects).
 */
type Step = string

function harness(o: { failWriteFrom?: number } = {}) {
  const steps: Step[] = []
  const waiters: Array<{ until: (s: Step[]) => boolean; go: () => void }> = []
  const log = (s: Step) => {
    steps.push(s)
    for (const w of waiters.splice(0)) (w.until(steps) ? w.go : () => waiters.push(w))()
  }
  /** Resolves once `until` holds for the steps so far (or at once if it does). */
  const when = (until: (s: Step[]) => boolean) => new Promise<void>((go) => (until(steps) ? go() : waiters.push({ until, go })))
  /**
   * Resolves once `until` holds, or once a whole event-loop turn passes with no new step: every fake
   * here answers within microtasks, so a turn without a step means the consumer is waiting on the
   * caller and `until` can no longer come true (a consumer that validates only after the insert).
   */
  const whenOrStuck = async (until: (s: Step[]) => boolean): Promise<void> => {
    for (;;) {
      const seen = steps.length
      await Promise.race([when(until), new Promise((turn) => setImmediate(turn))])
      if (until(steps) || steps.length === seen) return
    }
  }
  const ingest = {
    async prepareLines(lines: ReadonlyArray<SourceLine>): Promise<PreparedLines> {
      log(`prepare ${lines[0]!.line}`)
      return { now: 0, good: [], ndjson: '', scrubbed: new Map(), bad: [], skipped: lines[0]!.line } as PreparedLines
    },
    async ingestLines(lines: ReadonlyArray<SourceLine>, options: { prepared?: PreparedLines }): Promise<LinesResult> {
      // The fast path hands over what prepareLines gave for these very lines.
      if (options.prepared?.skipped !== lines[0]!.line) throw new Error('ingestLines without its prepared lines')
      const from = options.prepared.skipped
      log(`write ${from}`)
      // The insert returns once the next chunk (if any) was validated; a consumer that validates only after
      // the insert never does that, so the insert returns when it is stuck and the order assertions fail.
      if (from + 5 < 15) await whenOrStuck((s) => s.includes(`prepare ${from + 5}`))
      if (o.failWriteFrom === from) {
        log(`failed ${from}`)
        throw new Error('engine down')
      }
      log(`stored ${from}`)
      return { batchId: 'b', accepted: 5, rejections: [], masked: 0, dropped: 0, alreadyStored: 0 }
    },
  } as unknown as IngestService
  const consumer = new KafkaTelemetryConsumer({ brokers: ['127.0.0.1:1'], clientId: 'pipeline-test', topicPrefix: 'pipe.', ingest, warehouse: { select: async () => [] }, log: pino({ level: 'silent' }), maxChunk: 5 })
  const inner = consumer as unknown as {
    consumer: { commitOffsets: (o: Array<{ offset: string; metadata: string | null }>) => Promise<void> }
    admin: { fetchOffsets: () => Promise<unknown[]> }
    pending: Map<number, bigint>
    onBatch: (p: EachBatchPayload) => Promise<void>
  }
  inner.consumer.commitOffsets = async ([c]) => log(`commit ${c!.offset}${c!.metadata ? ` ${c!.metadata}` : ''}`)
  inner.admin.fetchOffsets = async () => []
  const messages: KafkaMessage[] = Array.from({ length: 15 }, (_, i) => ({ offset: String(i), value: Buffer.from(`{"n":${i}}`), key: null, timestamp: '0', attributes: 0, headers: {} }) as KafkaMessage)
  const resolved: string[] = []
  const batch = {
    batch: { partition: 0, messages, topic: 'pipe.runway.telemetry' },
    resolveOffset: (offset: string) => {
      resolved.push(offset)
      log(`resolve ${offset}`)
    },
    heartbeat: async () => {},
    isRunning: () => true,
    isStale: () => false,
  } as unknown as EachBatchPayload
  const run = async () => {
    try {
      await inner.onBatch(batch)
    } finally {
      log('no-more')
    }
  }
  return { steps, resolved, run, pending: inner.pending }
}

describe('KafkaTelemetryConsumer pipelining', () => {
  it('validates the next chunk during an insert, and commits each chunk only after its insert, in order', async () => {
    const h = harness()
    await h.run()
    const at = (s: Step) => h.steps.indexOf(s)
    // Overlap: chunk 5 and chunk 10 were validated before the insert of the chunk before them returned.
    expect(at('prepare 5')).toBeLessThan(at('stored 0'))
    expect(at('prepare 10')).toBeLessThan(at('stored 5'))
    for (const from of [0, 5, 10]) {
      // The intent before the insert; the offset after it; the next chunk's insert after that commit.
      expect(at(`commit ${from} runway-pending:${from + 4}`)).toBeLessThan(at(`write ${from}`))
      expect(at(`stored ${from}`)).toBeLessThan(at(`commit ${from + 5}`))
      if (from > 0) expect(at(`commit ${from}`)).toBeLessThan(at(`commit ${from} runway-pending:${from + 4}`))
    }
    const commits = h.steps.filter((s) => s.startsWith('commit ')).map((s) => Number(s.split(' ')[1]))
    expect(commits).toEqual([0, 5, 5, 10, 10, 15])
    expect(h.resolved).toEqual(['4', '9', '14'])
    expect(h.pending.size).toBe(0)
  })

  it('a failed insert commits nothing past the last stored chunk and writes no later chunk', async () => {
    const h = harness({ failWriteFrom: 5 })
    await expect(h.run()).rejects.toThrow('engine down')
    const commits = h.steps.filter((s) => s.startsWith('commit '))
    // Chunk 0 stored and committed; chunk 5's intent only; nothing of chunk 10 (validated, never written).
    expect(commits).toEqual(['commit 0 runway-pending:4', 'commit 5', 'commit 5 runway-pending:9'])
    expect(h.steps).not.toContain('write 10')
    expect(h.resolved).toEqual(['4'])
    // The failed range stays in doubt, so the retry writes it by what is missing.
    expect(h.pending.get(0)).toBe(9n)
    // The handler returned only after the failed insert had settled.
    expect(h.steps.indexOf('failed 5')).toBeLessThan(h.steps.indexOf('no-more'))
  })
})

describe('OneInFlight', () => {
  it('throws a failed write at the next settle, never as an unhandled rejection, and refuses overlapping writes', async () => {
    const f = new OneInFlight()
    f.start(async () => {
      throw new Error('boom')
    })
    expect(() => f.start(async () => {})).toThrow('still in flight')
    // A turn of the event loop with the rejection not awaited yet: Node would report it if it were unhandled.
    await new Promise((r) => setImmediate(r))
    await expect(f.settle()).rejects.toThrow('boom')
    expect(f.busy).toBe(false)
    await f.settle()
  })
})
