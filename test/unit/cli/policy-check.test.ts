import { afterEach, describe, expect, it, vi } from 'vitest'
import { runMain } from '../../support/run-main.js'
import { tempFiles } from '../../support/temp-dir.js'

const file = tempFiles('runway-policy-cli-')
const SPEC = `id: chaos-net
owner: team-sre
hypothesis: The checkout survives a lost cache node
kind: chaos
services: [checkout]
variants: [{ name: control, weight: 50 }, { name: treatment, weight: 50 }]
rollout: { steps: [{ exposure: 1 }, { exposure: 10 }] }
metrics: { primary: { name: error_rate }, guardrails: [{ name: latency_ms, direction: decrease }] }
`
const POLICY = `defaults:
  metadata: { required: [owner, onCall, hypothesis, guardrails] }
  maxExposure: { chaos: 1 }
  freezes: [{ name: weekend, weekly: { days: [sat, sun], from: "00:00", to: "24:00" } }]
slos: { checkout: { metric: error_rate, objective: 0.99 } }
`

const run = (...args: string[]) => runMain(args)

afterEach(() => vi.restoreAllMocks())

describe('runway policy check', () => {
  it('passes a spec under the built-in defaults (exit 0)', async () => {
    const r = await run('policy', 'check', file('spec.yaml', SPEC))
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('enqueue allowed by policy (chaos-net)')
  })

  it('lists every failure of an enqueue with path and rule, and exits 1', async () => {
    const r = await run('policy', 'check', file('spec.yaml', SPEC), '--policy', file('policy.yaml', POLICY))
    expect(r.code).toBe(1)
    expect(r.stdout.split('\n')).toEqual([
      'onCall: an on-call contact is required [policy: on-call-required]',
      expect.stringMatching(/^rollout\.steps\[1\]\.exposure: chaos experiments may expose at most 1%.*\[policy: max-exposure\]$/),
    ])
    expect(r.stderr).toContain('enqueue refused by 2 policy rule failure(s)')
  })

  it('checks a start at a given time, and says what it cannot evaluate offline', async () => {
    const policy = file('policy.yaml', POLICY)
    const saturday = await run('policy', 'check', file('spec.yaml', SPEC), '--policy', policy, '--phase', 'start', '--at', '2026-03-07T12:00:00Z')
    expect(saturday.code).toBe(1)
    expect(saturday.stdout).toContain('freezes: no start during freeze window weekend (weekly sat,sun 00:00-24:00 UTC) [policy: freeze-window]')
    expect(saturday.stdout).toContain('not evaluated offline: quota-team, quota-namespace, error-budget')
    const monday = await run('policy', 'check', file('spec.yaml', SPEC), '--policy', policy, '--phase', 'start', '--at', '2026-03-09T12:00:00Z')
    expect(monday.code).toBe(0)
  })

  it('a ramp checks the step moved to', async () => {
    const r = await run('policy', 'check', file('spec.yaml', SPEC), '--policy', file('policy.yaml', POLICY), '--phase', 'ramp', '--at', '2026-03-09T12:00:00Z', '--json')
    expect(r.code).toBe(1)
    const body = JSON.parse(r.stdout)
    expect(body).toMatchObject({ experimentId: 'chaos-net', phase: 'ramp', allowed: false })
    expect(body.failures.map((f: { rule: string; path: string }) => `${f.rule} ${f.path}`)).toEqual(['max-exposure rollout.steps[1].exposure'])
    expect((await run('policy', 'check', file('spec.yaml', SPEC), '--policy', file('policy.yaml', POLICY), '--phase', 'ramp', '--step', '1', '--at', '2026-03-09T12:00:00Z')).code).toBe(0)
  })

  it('a bad policy file or spec is reported with paths', async () => {
    const bad = await run('policy', 'check', file('spec.yaml', SPEC), '--policy', file('bad.yaml', 'defaults: { quotas: { runningPerTeam: 0 } }\n'))
    expect(bad.code).toBe(1)
    expect(bad.stderr).toContain('defaults.quotas.runningPerTeam')
    const spec = await run('policy', 'check', file('bad-spec.yaml', 'id: x\nvariants: []\n'))
    expect(spec.code).toBe(1)
    expect(spec.stdout).toContain('variants')
  })
})
