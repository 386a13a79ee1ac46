#!/usr/bin/env node
// Runs the compiled CLI (npm install builds dist/ through the `prepare` script).
import { existsSync } from 'node:fs'

const entry = new URL('../dist/cli/main.js', import.meta.url)
if (!existsSync(entry)) {
  console.error('runway is not built yet: run `npm install` (or `npm run build`) in the project folder first.')
  process.exit(2)
}
// `runway demo | head` closes the pipe early: that is not an error worth a stack trace.
process.stdout.on('error', (e) => process.exit(e.code === 'EPIPE' ? 0 : 1))
const { main } = await import(entry.href)
const code = await main(process.argv)
// serve keeps running; every other command exits with its code.
if (!(process.argv[2] === 'serve' && code === 0)) process.exit(code)
