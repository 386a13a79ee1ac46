// Builds the standalone SDK package from the repository's src/sdk (one source of truth):
// esbuild bundles the SDK and the domain code it shares with the server (assignment hash,
// gate config, targeting) together with zod, so the package has no runtime dependency.
// OpenFeature and kafkajs stay external: optional peers, loaded only by the provider entry
// and by kafkaSink(). tsc writes the type declarations (they name zod's types: TypeScript
// users who read GateConfigSchema's type install zod, an optional peer).
import { build } from 'esbuild'
import { execFileSync } from 'node:child_process'
import { rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, '..', '..')
const out = join(here, 'dist')
rmSync(out, { recursive: true, force: true })

await build({
  entryPoints: { index: join(root, 'src/sdk/core.ts'), openfeature: join(root, 'src/sdk/openfeature-provider.ts') },
  bundle: true,
  splitting: true, // the provider entry shares the client's chunk: one RunwayClient class
  format: 'esm',
  platform: 'node',
  target: ['node20'],
  minify: false,
  legalComments: 'eof',
  outdir: out,
  external: ['@openfeature/server-sdk', '@openfeature/core', 'kafkajs'],
  logLevel: 'warning',
})
execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(here, 'tsconfig.json')], { stdio: 'inherit' })
