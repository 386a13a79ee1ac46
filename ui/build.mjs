// Builds the web UI into dist/ui (run by `npm run build` after tsc): one ES module bundle
// (Preact + htm + uPlot, minified), one stylesheet (ours + uPlot's), and the HTML shell.
// Everything is served by `runway serve` itself: no CDN, works offline.
import { build } from 'esbuild'
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'

const here = dirname(fileURLToPath(import.meta.url))
const out = join(here, '..', 'dist', 'ui')
rmSync(out, { recursive: true, force: true })
mkdirSync(out, { recursive: true })

await build({
  entryPoints: [join(here, 'src', 'main.ts')],
  bundle: true,
  format: 'esm',
  target: ['es2022'],
  minify: true,
  sourcemap: false,
  legalComments: 'eof',
  outfile: join(out, 'app.js'),
  logLevel: 'warning',
})
const uplotCss = readFileSync(join(here, '..', 'node_modules', 'uplot', 'dist', 'uPlot.min.css'), 'utf8')
writeFileSync(join(out, 'app.css'), `${uplotCss}\n${readFileSync(join(here, 'app.css'), 'utf8')}`)
copyFileSync(join(here, 'index.html'), join(out, 'index.html'))

if (process.argv.includes('--report')) {
  let total = 0
  for (const f of ['index.html', 'app.js', 'app.css']) {
    const body = readFileSync(join(out, f))
    const gz = gzipSync(body, { level: 9 }).length
    total += gz
    console.log(`${f.padEnd(12)} ${String(body.length).padStart(8)} B  ${String(gz).padStart(7)} B gzip`)
  }
  console.log(`${'total'.padEnd(12)} ${''.padStart(8)}    ${String(total).padStart(7)} B gzip`)
}
