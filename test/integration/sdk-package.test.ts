import { execFile, execFileSync } from 'node:child_process'
import { promisify } from 'node:util'
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROOT } from '../support/cli.js'
import { type Runway, runExperiment, startRunway } from '../support/gate.js'

/**
 * The SDK as a service installs it: packages/sdk packed with `npm pack` (its prepack builds it), installed from
 * the tarball into an empty project (offline: the package has no runtime dependency),
 * then run there against a running Runway. Item 7 of the dashboards issue.
 */
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
let rw: Runway
let work: string
let project: string

function sizeOf(dir: string): number {
  let total = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name)
    if (entry.isDirectory()) total += sizeOf(p)
    else if (entry.isFile()) total += statSync(p).size
  }
  return total
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'runway-sdk-pack-'))
  const packed = JSON.parse(execFileSync(npm, ['pack', '--json', '--pack-destination', work], { cwd: join(ROOT, 'packages/sdk'), encoding: 'utf8' })) as Array<{ filename: string }>
  project = join(work, 'service')
  execFileSync('mkdir', ['-p', project])
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'a-service', private: true, type: 'module' }))
  execFileSync(npm, ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', join(work, packed[0]!.filename)], { cwd: project, stdio: 'pipe' })
  rw = await startRunway()
}, 120_000)
afterAll(async () => {
  await rw?.stop()
  rw?.cleanup()
  if (work) rmSync(work, { recursive: true, force: true })
})

describe('@runway/sdk from its tarball', () => {
  it('installs alone, under 5 MB: no engine, server, Kafka or Redis', () => {
    const modules = readdirSync(join(project, 'node_modules')).filter((n) => !n.startsWith('.'))
    expect(modules).toEqual(['@runway'])
    expect(readdirSync(join(project, 'node_modules/@runway'))).toEqual(['sdk'])
    const bytes = sizeOf(join(project, 'node_modules'))
    expect(bytes).toBeGreaterThan(10_000) // the bundle is there
    expect(bytes).toBeLessThan(5 * 1024 * 1024)
  })

  it('evaluates assignments against a running Runway, as the server assigns them', async () => {
    await runExperiment(rw, { id: 'packed', layer: 'packed', variants: [{ name: 'control', weight: 40 }, { name: 'treatment', weight: 60 }], rollout: { steps: [{ exposure: 50 }, { exposure: 100 }] } })
    const units = Array.from({ length: 2_000 }, (_, i) => `unit-${i}`)
    const script = join(project, 'assign.mjs')
    writeFileSync(script, [
      "import { RunwayClient } from '@runway/sdk'",
      'const [baseUrl, units] = [process.argv[2], JSON.parse(process.argv[3])]',
      'const client = new RunwayClient({ baseUrl })',
      'const status = await client.start()',
      "process.stdout.write(JSON.stringify({ status, variants: units.map((u) => client.variant('packed', u)) }))",
      'client.close()',
    ].join('\n'))
    // Asynchronously: the Runway it talks to serves from this process's event loop.
    const { stdout } = await promisify(execFile)(process.execPath, [script, rw.baseUrl, JSON.stringify(units)], { cwd: project, encoding: 'utf8', timeout: 60_000 })
    const out = JSON.parse(stdout) as { status: unknown; variants: Array<string | null> }
    const res = await fetch(`${rw.baseUrl}/v1/assign`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ experimentId: 'packed', units }) })
    const server = ((await res.json()) as { assignments: Array<{ variant: string | null }> }).assignments.map((a) => a.variant)
    expect(out.status, JSON.stringify(out.status)).toMatchObject({ connected: true, stale: false, rejected: 0 })
    expect(out.variants).toEqual(server)
    // Half exposed at step 1, split 40/60: both variants and unexposed units occur.
    expect(new Set(out.variants)).toEqual(new Set(['control', 'treatment', null]))
  })
})
