import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ROOT } from '../../support/cli.js'

/**
 * Pictures the docs show exist where they say. The README's screenshot of the experiment
 * view is written by test/e2e/ui.test.ts (UPDATE_SCREENSHOTS=1 copies it into docs/).
 */
const images = (file: string) => [...readFileSync(file, 'utf8').matchAll(/!\[[^\]]*\]\(([^)\s]+)\)/g)].map((m) => m[1]!).filter((p) => !/^[a-z]+:/.test(p))

/** Width and height from a PNG's IHDR chunk (bytes 16–23), after checking the signature. */
function pngSize(file: string): { width: number; height: number } {
  const b = readFileSync(file)
  expect(b.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a')
  expect(b.subarray(12, 16).toString('ascii')).toBe('IHDR')
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) }
}

describe('images in the docs', () => {
  it('the README shows the experiment view from docs/, a 1280-wide screenshot', () => {
    const shown = images(join(ROOT, 'README.md'))
    expect(shown).toContain('docs/ui-experiment.png')
    const { width, height } = pngSize(join(ROOT, 'docs/ui-experiment.png'))
    expect(width).toBe(1280) // the desktop viewport of test/e2e/ui-support.ts
    expect(height).toBeGreaterThanOrEqual(800)
  })

  it('every local image a markdown file shows exists', () => {
    const files = [join(ROOT, 'README.md'), ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => join(ROOT, 'docs', f))]
    const missing = files.flatMap((f) => images(f).filter((p) => !existsSync(join(dirname(f), p))).map((p) => `${f}: ${p}`))
    expect(missing).toEqual([])
  })
})
