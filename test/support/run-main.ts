import { vi } from 'vitest'
import { main } from '../../src/cli/main.js'

export interface MainResult {
  code: number
  stdout: string
  stderr: string
}

/**
 * Runs `runway …` in this process (src/cli/main.ts, so no build is needed), capturing what it
 * prints on the console. `env` is set for the call only (undefined removes a variable) and put
 * back after, so one command's settings never leak into the next.
 */
export async function runMain(args: readonly string[], env: Record<string, string | undefined> = {}): Promise<MainResult> {
  const out: string[] = []
  const err: string[] = []
  const log = vi.spyOn(console, 'log').mockImplementation((...a) => void out.push(a.join(' ')))
  const error = vi.spyOn(console, 'error').mockImplementation((...a) => void err.push(a.join(' ')))
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]))
  const set = (vars: Record<string, string | undefined>) => {
    for (const [k, v] of Object.entries(vars)) {
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
    }
  }
  set(env)
  try {
    const code = await main(['node', 'runway', ...args])
    return { code, stdout: out.join('\n'), stderr: err.join('\n') }
  } finally {
    set(saved)
    log.mockRestore()
    error.mockRestore()
  }
}
