import { type ChildProcess, spawn } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../..', import.meta.url))
const children = new Set<ChildProcess>()

/** SIGKILLs every child still running (afterAll). */
export function killChildren(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
}

/** Runs test/support/kafka-consumer-child.ts in its own process; its JSON lines are read as they come. */
export function child(env: Record<string, string>, mode: 'consume' | 'count' | 'plant' = 'consume') {
  const proc: ChildProcess = spawn(process.execPath, ['--import', 'tsx', join(root, 'test/support/kafka-consumer-child.ts'), mode], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const lines: Array<Record<string, unknown>> = []
  let err = ''
  let partial = ''
  proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n')
    partial = parts.pop() ?? ''
    for (const p of parts) if (p.trim()) lines.push(JSON.parse(p) as Record<string, unknown>)
  })
  proc.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err += chunk))
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()))
  children.add(proc)
  return {
    stderr: () => err,
    lines: () => lines,
    /** The first line that satisfies `pred`, polled; fails with the child's last words if it exits or the time runs out. */
    async waitFor(pred: (l: Record<string, unknown>) => boolean, timeoutMs: number) {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const hit = lines.find(pred)
        if (hit) return hit
        if (proc.exitCode !== null || Date.now() > deadline) {
          proc.kill('SIGKILL')
          throw new Error(`child (${mode}) ${proc.exitCode !== null ? `exited ${proc.exitCode}` : 'timed out'}; last lines ${JSON.stringify(lines.slice(-3))}; stderr: ${err.slice(-2000)}`)
        }
        await new Promise((r) => setTimeout(r, 50))
      }
    },
    /** SIGKILL, as a crash: no cleanup runs in the child. */
    async kill() {
      proc.kill('SIGKILL')
      await exited
    },
  }
}
