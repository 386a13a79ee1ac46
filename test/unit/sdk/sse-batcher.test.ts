import { describe, expect, it } from 'vitest'
import { Batcher } from '../../../src/sdk/batcher.js'
import { SseParser } from '../../../src/sdk/sse.js'

describe('SseParser', () => {
  it('joins data lines, keeps ids, skips comments, and handles events split across chunks and \\r\\n', () => {
    const p = new SseParser()
    const text = ': hello\r\nid: 7\r\nevent: config\r\ndata: {"a":\r\ndata: 1}\r\n\r\nevent: heartbeat\ndata: {"version":7}\n\n'
    const out = []
    for (let i = 0; i < text.length; i += 5) out.push(...p.feed(text.slice(i, i + 5)))
    expect(out).toEqual([
      { event: 'config', data: '{"a":\n1}', id: '7' },
      { event: 'heartbeat', data: '{"version":7}', id: '7' },
    ])
  })
})

describe('Batcher', () => {
  it('bounds its buffer under a slow sender: every item is either sent or counted as dropped', async () => {
    let release: () => void = () => {}
    const sent: number[] = []
    const b = new Batcher<number>({
      maxBuffer: 100,
      batchSize: 50,
      flushIntervalMs: 10,
      send: async (batch) => {
        await new Promise<void>((r) => (release = r))
        sent.push(...batch)
      },
    })
    const results = Array.from({ length: 1_000 }, (_, i) => b.push(i))
    expect(results.filter((x) => !x).length).toBeGreaterThan(0)
    const s = b.stats()
    expect(s.buffered + s.inFlight).toBeLessThanOrEqual(100)
    for (let i = 0; i < 100 && (b.stats().buffered > 0 || b.stats().inFlight > 0); i++) {
      release()
      await new Promise((r) => setTimeout(r, 5))
    }
    await b.close()
    const end = b.stats()
    expect(end.sent).toBe(sent.length)
    expect(end.sent + end.droppedBufferFull).toBe(1_000)
    expect(end.accepted).toBe(end.sent)
  })

  it('retries with the same batch id, then drops and reports what could not be sent', async () => {
    const ids: string[] = []
    const drops: Array<[number, string]> = []
    const b = new Batcher<number>({
      batchSize: 10,
      maxAttempts: 3,
      retryBackoffMs: 1,
      send: async (_batch, id) => {
        ids.push(id)
        throw new Error('down')
      },
      onDrop: (n, why) => drops.push([n, why]),
    })
    for (let i = 0; i < 10; i++) b.push(i)
    await b.flush()
    expect(ids).toHaveLength(3)
    expect(new Set(ids).size).toBe(1)
    expect(drops).toEqual([[10, 'send_failed']])
    expect(b.stats().droppedSendFailed).toBe(10)
    await b.close()
  })
})
