import { defineConfig } from 'vitest/config'

/** End-to-end tests: the built app (CLI → browser host → renderer bundle) in Debian Chromium. */
export default defineConfig({
  test: {
    environment: 'node',
    include: ['tests/e2e/**/*.e2e.ts'],
    testTimeout: 90_000,
    hookTimeout: 60_000,
    pool: 'forks',
    fileParallelism: false,
  },
})
