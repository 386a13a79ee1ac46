import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { RunwayError } from '../errors.js'

const WHY: Record<string, string> = {
  ENOTDIR: 'a part of the path is a file, not a directory',
  EEXIST: 'it exists and is not a directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device',
}

/**
 * Creates `dir` if needed and proves it can be written (a probe file is written and removed),
 * so an unusable data directory is one line naming it at start, not an engine stack trace
 * from deep inside the first insert. Every embedded entry point (serve, migrate, token and
 * audit with --data-dir, simulate) reaches it through the embedded warehouse.
 */
export function ensureWritableDir(dir: string): void {
  const probe = join(dir, `.runway-write-check-${process.pid}`)
  try {
    makeDirs(dir)
    writeFileSync(probe, '')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'ERROR'
    throw new RunwayError('DATA_DIR_UNWRITABLE', `cannot write the data directory ${dir}: ${code} (${WHY[code] ?? (error as Error).message}); set --data-dir or RUNWAY_DATA_DIR to a writable directory`, { path: dir, errno: code })
  }
  rmSync(probe, { force: true })
}

/** mkdir -p one level at a time: a recursive mkdirSync reports ENOENT where the cause is EROFS or EACCES. */
function makeDirs(dir: string): void {
  const parent = dirname(dir)
  if (parent !== dir && !existsSync(parent)) makeDirs(parent)
  try {
    mkdirSync(dir)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST' && statSync(dir).isDirectory()) return
    throw error
  }
}
