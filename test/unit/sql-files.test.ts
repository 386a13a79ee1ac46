import { readFileSync, readdirSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { expandIncludes, sqlQuery } from '../../src/sql-files.js'

describe('expandIncludes', () => {
  const fragments: Record<string, string> = {
    cols: '-- doc line, not sent\na AS x,\n\nb AS y   \n',
  }
  const read = (name: string) => {
    const text = fragments[name]
    if (text === undefined) throw new Error(`no fragment ${name}`)
    return text
  }

  it('puts the fragment in place of the line, indented as it, without its comments or blank lines', () => {
    const text = 'SELECT\n    k,\n    -- include: cols\nFROM t\n'
    expect(expandIncludes(text, read)).toBe('SELECT\n    k,\n    a AS x,\n    b AS y\nFROM t\n')
  })

  it('leaves other comments alone, and an unknown fragment is an error, not an empty text', () => {
    expect(expandIncludes('-- include is a word here\nSELECT 1', read)).toBe('-- include is a word here\nSELECT 1')
    expect(() => expandIncludes('  -- include: missing\n', read)).toThrow('no fragment missing')
  })
})

describe('sql/fragments', () => {
  const queries = readdirSync(new URL('../../sql/queries/', import.meta.url)).map((f) => f.replace(/\.sql$/, ''))

  it('every query loads with its includes expanded, and every fragment is used', () => {
    const used = new Set<string>()
    for (const name of queries) {
      const raw = readFileSync(new URL(`../../sql/queries/${name}.sql`, import.meta.url), 'utf8')
      for (const m of raw.matchAll(/-- include: ([a-z0-9-]+)/g)) used.add(m[1]!)
      expect(sqlQuery(name)).not.toMatch(/-- include:/)
    }
    const fragments = readdirSync(new URL('../../sql/fragments/', import.meta.url)).map((f) => f.replace(/\.sql$/, ''))
    expect(fragments.length).toBeGreaterThan(0)
    expect([...used].sort()).toEqual(fragments.sort())
  })

  it('the misrouting queries all compute the expected assignment with the same text', () => {
    const gate = (name: string) => {
      const text = sqlQuery(name)
      return text.slice(text.indexOf('murmurHash3_32'), text.indexOf('AS prefix'))
    }
    const first = gate('misrouting-summary-batch')
    expect(first).toContain('AS exposed')
    for (const name of ['misrouting-summary-base', 'misrouting-summary-incremental', 'misrouting-recent-batch', 'misrouting-recent-base', 'misrouting-recent-incremental']) {
      expect(gate(name)).toBe(first)
    }
  })
})
