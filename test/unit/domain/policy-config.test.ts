import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { BUILTIN_RULES, DEFAULT_POLICY_CONFIG, PolicyConfigSchema, rulesFor } from '../../../src/domain/policy-config.js'
import { RunwayError } from '../../../src/errors.js'
import { loadPolicyFile, parsePolicyText } from '../../../src/policy-file.js'
import { MINUTE } from '../../support/fixtures.js'
import { policyConfig } from '../../support/policy.js'

describe('policy file schema', () => {
  it('an empty file is the built-in defaults', () => {
    expect(rulesFor(DEFAULT_POLICY_CONFIG, 'anything')).toEqual(BUILTIN_RULES)
    expect(rulesFor(parsePolicyText(''), 'web')).toEqual(BUILTIN_RULES)
    expect(BUILTIN_RULES.metadata.required).toEqual(['owner', 'hypothesis', 'guardrails'])
    expect(BUILTIN_RULES.errorBudget).toEqual({ threshold: 1.5, window: 15 * MINUTE })
    expect(BUILTIN_RULES.data).toEqual({ piiFields: [], maskPii: true })
  })

  it('a namespace override changes only what it names, over the file defaults', () => {
    const config = policyConfig({
      defaults: { metadata: { required: ['owner', 'onCall'], maxDuration: '30d' }, quotas: { runningPerTeam: 5 }, data: { piiFields: ['name'] } },
      namespaces: { payments: { metadata: { maxDuration: '7d' }, quotas: { runningPerNamespace: 3 }, data: { allowAttributes: ['country'] } } },
    })
    const payments = rulesFor(config, 'payments')
    expect(payments.metadata).toEqual({ required: ['owner', 'onCall'], maxDuration: 7 * 24 * 60 * MINUTE })
    expect(payments.quotas).toEqual({ runningPerTeam: 5, runningPerNamespace: 3 })
    expect(payments.data).toEqual({ piiFields: ['name'], maskPii: true, allowAttributes: ['country'] })
    expect(rulesFor(config, 'web').quotas).toEqual({ runningPerTeam: 5 })
  })

  it.each([
    [{ defaults: { quotas: { runningPerTeam: 0 } } }, 'defaults.quotas.runningPerTeam'],
    [{ defaults: { metadata: { required: ['owner', 'favouriteColour'] } } }, 'defaults.metadata.required[1]'],
    [{ defaults: { maxExposure: { chaos: 150 } } }, 'defaults.maxExposure.chaos'],
    [{ defaults: { maxExposure: { teleport: 1 } } }, 'defaults.maxExposure'],
    [{ defaults: { errorBudget: { window: 'soon' } } }, 'defaults.errorBudget.window'],
    [{ slos: { checkout: { metric: 'error_rate', objective: 1 } } }, 'slos.checkout.objective'],
    [{ namespaces: { payments: { quotaz: {} } } }, 'namespaces.payments'],
    [{ defualts: {} }, '(root)'],
  ])('refuses %j at %s', (input, path) => {
    const r = PolicyConfigSchema.safeParse(input)
    expect(r.success).toBe(false)
    const paths = r.error!.issues.map((i) => i.path.join('.').replace(/\.(\d+)/g, '[$1]') || '(root)')
    expect(paths).toContain(path)
  })

  it('a bad file is an input error listing its problems', () => {
    try {
      parsePolicyText('defaults:\n  quotas: { runningPerTeam: -1 }\nslos: { a: { metric: x, objective: 2 } }\n', 'p.yaml')
      expect.unreachable()
    } catch (error) {
      expect(error).toBeInstanceOf(RunwayError)
      const problems = (error as RunwayError).details.problems as Array<{ path: string }>
      expect(problems.map((p) => p.path).sort()).toEqual(['defaults.quotas.runningPerTeam', 'slos.a.objective'])
    }
    expect(() => parsePolicyText('a: [', 'p.yaml')).toThrow(/invalid YAML/)
    expect(() => loadPolicyFile('/nonexistent/policy.yaml')).toThrow(/ENOENT/)
  })

  it('the shipped example parses', () => {
    const config = loadPolicyFile(fileURLToPath(new URL('../../../examples/policy.yaml', import.meta.url)))
    expect(rulesFor(config, 'payments').quotas).toEqual({ runningPerTeam: 2, runningPerNamespace: 20 })
    expect(rulesFor(config, 'payments').freezes.map((f) => f.name)).toEqual(['black-friday', 'weekend', 'friday-evening', 'quarter-close'])
    expect(config.slos.checkout).toEqual({ metric: 'error_rate', objective: 0.99 })
  })
})
