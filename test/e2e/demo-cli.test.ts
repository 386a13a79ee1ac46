import { describe, expect, it } from 'vitest'
import { runCli } from '../support/cli.js'

interface Summary {
  experiments: Array<{ id: string; finalState: string; transitions: Array<{ at: string; from: string | null; to: string; reason: string }> }>
}

describe('runway demo (the whole loop, end to end, on the embedded default)', () => {
  // The demo takes ~60 s at load 4 on 2 cores (README): a limit for a hang, not a speed target (bench/ has those).
  it('ramps the healthy experiment to completion, rolls back the harmful one, pauses the silent one', { timeout: 240_000 }, async () => {
    const res = await runCli(['demo', '--json'])
    expect(res.code, res.stderr).toBe(0)
    const summary = JSON.parse(res.stdout) as Summary
    const byId = new Map(summary.experiments.map((e) => [e.id, e]))

    const healthy = byId.get('checkout-redesign')!
    expect(healthy.finalState).toBe('completed')
    const ramps = healthy.transitions.filter((t) => t.from === 'running' && t.to === 'running')
    expect(ramps).toHaveLength(3)
    expect(ramps.map((t) => t.reason.match(/ramp to (\d+)%/)?.[1])).toEqual(['25', '50', '100'])
    expect(healthy.transitions.at(-1)!.reason).toMatch(/conversion .* msprt p=/)

    const harmful = byId.get('search-ranker-v2')!
    expect(harmful.finalState).toBe('rolled_back')
    expect(harmful.transitions.at(-1)!.reason).toMatch(/error_rate .*→.* in ranker-v2/)

    const silent = byId.get('recs-carousel')!
    expect(silent.finalState).toBe('paused')
    expect(silent.transitions.at(-1)!.reason).toMatch(/telemetry stale/)

    for (const e of summary.experiments) {
      expect(e.transitions[0]).toMatchObject({ from: 'draft', to: 'queued' })
      for (const t of e.transitions) expect(Number.isNaN(Date.parse(t.at))).toBe(false)
    }
  })

  it('prints a readable timeline and summary table without --json', { timeout: 240_000 }, async () => {
    const res = await runCli(['demo'])
    expect(res.code, res.stderr).toBe(0)
    expect(res.stdout).toMatch(/TIME\s+EXPERIMENT\s+TRANSITION/)
    expect(res.stdout).toMatch(/search-ranker-v2\s+running → rolled_back/)
    expect(res.stdout).toMatch(/EXPERIMENT\s+FINAL STATE/)
    expect(res.stdout).toMatch(/checkout-redesign\s+completed/)
  })
})
