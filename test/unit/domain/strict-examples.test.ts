import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { parse as parseYaml } from 'yaml'
import { ExperimentSpecSchema } from '../../../src/domain/experiment.js'
import { PolicyConfigSchema } from '../../../src/domain/policy-config.js'
import { parseWith } from '../../../src/domain/validation.js'
import { ScenarioSchema } from '../../../src/sim/scenario.js'

/**
 * Every spec, scenario and policy example the repository shows a user (files and the
 * YAML blocks of its Markdown) passes the strict schemas: an example with a key the
 * schema does not know would teach users a typo.
 */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
type Kind = 'spec' | 'scenario' | 'policy'
const SCHEMAS = { spec: ExperimentSpecSchema, scenario: ScenarioSchema, policy: PolicyConfigSchema }

/** What a YAML document is, by its top-level keys; null for other YAML (compose files, job definitions). */
function kindOf(doc: unknown): Kind | null {
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return null
  const keys = Object.keys(doc)
  if (keys.includes('experiments') && keys.includes('duration')) return 'scenario'
  if (keys.includes('variants') && keys.includes('id')) return 'spec'
  if (keys.length > 0 && keys.every((k) => ['defaults', 'namespaces', 'slos'].includes(k))) return 'policy'
  return null
}

const files = (dir: string, ext: RegExp) => (existsSync(join(ROOT, dir)) ? readdirSync(join(ROOT, dir)).filter((f) => ext.test(f)).map((f) => join(dir, f)) : [])

function examples(): Array<{ where: string; kind: Kind; doc: unknown }> {
  const out: Array<{ where: string; kind: Kind; doc: unknown }> = []
  for (const f of [...files('examples/specs', /\.(ya?ml|json)$/), ...files('scenarios', /\.ya?ml$/), ...files('bench', /\.ya?ml$/), 'examples/policy.yaml']) {
    const doc: unknown = parseYaml(readFileSync(join(ROOT, f), 'utf8'))
    const kind = kindOf(doc)
    if (kind) out.push({ where: f, kind, doc })
  }
  for (const md of ['README.md', ...files('docs', /\.md$/), ...files('bench', /\.md$/)]) {
    const text = readFileSync(join(ROOT, md), 'utf8')
    for (const m of text.matchAll(/^```ya?ml\n([\s\S]*?)^```/gm)) {
      const doc: unknown = parseYaml(m[1]!)
      const kind = kindOf(doc)
      if (kind) out.push({ where: `${md}:${text.slice(0, m.index).split('\n').length}`, kind, doc })
    }
  }
  return out
}

const found = examples()

describe('every example in the repository passes the strict schemas', () => {
  it('finds the examples users are pointed to', () => {
    const where = found.map((e) => `${e.kind} ${e.where.replace(/:\d+$/, '')}`)
    expect(where).toEqual(
      expect.arrayContaining(['spec examples/specs/checkout-redesign.yaml', 'scenario scenarios/demo.yaml', 'scenario scenarios/demo-realtime.yaml', 'policy examples/policy.yaml', 'spec README.md', 'policy docs/policy.md']),
    )
  })

  it.each(found.map((e) => [`${e.kind} ${e.where}`, e] as const))('%s', (_name, e) => {
    const parsed = parseWith(SCHEMAS[e.kind], e.doc)
    expect(parsed.ok ? [] : parsed.problems).toEqual([])
  })
})
