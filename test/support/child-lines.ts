import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/** A TypeScript script run as its own Node process (through tsx), its stdout parsed as JSON lines. */
export interface ChildScript {
  child: ChildProcess
  lines: Array<Record<string, unknown>>
  stderr: () => string
  /** Resolves once a line matches, or rejects after `timeoutMs`. */
  waitFor(pred: (line: Record<string, unknown>) => boolean, timeoutMs: number): Promise<Record<string, unknown>>
  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  stop(graceMs?: number): Promise<void>
}

export function runScript(relativeToTest: string, env: Record<string, string>): ChildScript {
  const path = fileURLToPath(new URL(relativeToTest, import.meta.url))
  const child = spawn(process.execPath, ['--import', 'tsx', path], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  const lines: Array<Record<string, unknown>> = []
  const waiters: Array<() => void> = []
  let errText = ''
  let partial = ''
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n')
    partial = parts.pop() ?? ''
    for (const part of parts) if (part.trim()) lines.push(JSON.parse(part) as Record<string, unknown>)
    for (const wake of waiters.splice(0)) wake()
  })
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (errText += chunk))
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      for (const wake of waiters.splice(0)) wake() // so a waiter sees the exit instead of its timeout
      resolve()
    }),
  )

  return {
    child,
    lines,
    stderr: () => errText,
    waitFor: (pred, timeoutMs) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching line from ${relativeToTest} in ${timeoutMs} ms; stderr: ${errText}`)), timeoutMs)
        const check = () => {
          const hit = lines.find(pred)
          if (hit) {
            clearTimeout(timer)
            resolve(hit)
          } else if (child.exitCode !== null) {
            clearTimeout(timer)
            reject(new Error(`${relativeToTest} exited (${child.exitCode}); stderr: ${errText}`))
          } else waiters.push(check)
        }
        check()
      }),
    stop: async (graceMs = 10_000) => {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
      await exited
      clearTimeout(timer)
    },
  }
}
