import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll } from 'vitest'

/**
 * Temporary directories of the calling test file (or describe): each call of the returned
 * function makes one, and all are removed after its tests. Call it before the hooks that must
 * finish first (a child process killed, a warehouse closed): after-hooks run last-registered first.
 */
export function tempDirs(prefix: string): () => string {
  const dirs: string[] = []
  afterAll(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
  })
  return () => {
    const dir = mkdtempSync(join(tmpdir(), prefix))
    dirs.push(dir)
    return dir
  }
}

/** Writes files into one temporary directory (made on the first write, removed after the tests); returns each file's path. */
export function tempFiles(prefix: string): (name: string, text: string) => string {
  const newDir = tempDirs(prefix)
  let dir: string | null = null
  return (name, text) => {
    dir ??= newDir()
    const path = join(dir, name)
    writeFileSync(path, text)
    return path
  }
}
