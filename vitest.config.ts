import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // chDB keeps one engine per process: isolate test files in forks.
    pool: 'forks',
    // expect.poll waits on a condition; vitest's 1 s default made it a timer that a loaded 2-core
    // CI machine missed (the exec view's summary, 2026-12-03). A poll still returns as soon as it holds.
    expect: { poll: { timeout: 20_000 } },
  },
})
