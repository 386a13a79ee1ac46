import { createHash } from 'node:crypto'
import { readFileSync, readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/** `sql/` beside `src/` (and beside `dist/` once built). */
const SQL_DIR = fileURLToPath(new URL('../sql/', import.meta.url))
const cache = new Map<string, string>()

/** Loads `sql/queries/<name>.sql` once, its `-- include:` lines expanded. */
export function sqlQuery(name: string): string {
  let text = cache.get(name)
  if (text === undefined) {
    text = expandIncludes(readFileSync(`${SQL_DIR}queries/${name}.sql`, 'utf8'), (fragment) =>
      readFileSync(`${SQL_DIR}fragments/${fragment}.sql`, 'utf8'),
    )
    cache.set(name, text)
  }
  return text
}

const INCLUDE = /^([ \t]*)-- include: ([a-z0-9-]+)[ \t]*$/gm

/**
 * Replaces each line `-- include: <fragment>` with `sql/fragments/<fragment>.sql`, indented as the
 * line and without the fragment's own comment lines. Why: one rule that several queries must apply
 * identically (e.g. how a unit's expected variant is computed) is written once; a copy that drifts
 * would make the gate and the evaluation disagree silently. Fragments do not include fragments.
 */
export function expandIncludes(text: string, readFragment: (name: string) => string): string {
  return text.replace(INCLUDE, (_line, indent: string, fragment: string) =>
    readFragment(fragment)
      .split('\n')
      .filter((line) => line.trim() !== '' && !line.trim().startsWith('--'))
      .map((line) => indent + line.trimEnd())
      .join('\n'),
  )
}

export interface MigrationFile {
  name: string
  checksum: string
  statements: string[]
}

/** Migrations in name order, each split into single statements. */
export function migrationFiles(): MigrationFile[] {
  return readdirSync(`${SQL_DIR}migrations`)
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .map((file) => {
      const text = readFileSync(`${SQL_DIR}migrations/${file}`, 'utf8')
      return {
        name: file.replace(/\.sql$/, ''),
        checksum: createHash('sha256').update(text).digest('hex').slice(0, 16),
        statements: splitStatements(text),
      }
    })
}

/** Splits on semicolons that end a line; strips comment-only lines. */
export function splitStatements(text: string): string[] {
  return text
    .split(/;\s*$/m)
    .map((s) =>
      s
        .split('\n')
        .filter((line) => !line.trim().startsWith('--'))
        .join('\n')
        .trim(),
    )
    .filter((s) => s.length > 0)
}
