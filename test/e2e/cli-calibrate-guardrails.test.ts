import { describe, expect, it } from 'vitest'
import { guardrailPower } from '../../src/stats/guardrail-power.js'
import { runCli } from '../support/cli.js'

describe('runway calibrate --guardrails (built CLI)', () => {
  it('prints the rare-event power table; --json is exactly guardrailPower() for the same seed', async () => {
    const flags = ['calibrate', '--guardrails', '--seed', '5', '--experiments', '30', '--looks', '10', '--units-per-arm', '2000']
    const json = await runCli([...flags, '--json'])
    expect(json.code).toBe(0)
    expect(JSON.parse(json.stdout)).toEqual(JSON.parse(JSON.stringify(guardrailPower({ seed: 5, experiments: 30, looks: 10, nPerArm: 2000, alpha: 0.05 }))))
    const text = await runCli(flags)
    expect(text.code).toBe(0)
    expect(text.stdout).toMatch(/BASE RATE\s+TREATMENT\s+τ RULE\s+REJECTION RATE\s+± MC SE/)
    expect(text.stdout).toMatch(/0\.2%\s+×3\s+planned-n\s+\d\.\d{4}/)
    const bad = await runCli(['calibrate', '--guardrails', '--units-per-arm', 'x'])
    expect(bad.code).toBe(1)
    expect(bad.stderr).toContain('--units-per-arm must be a positive integer (got x)')
  }, 120_000)
})
