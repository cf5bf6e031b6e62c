import { defineConfig } from 'vitest/config'
import vue from '@vitejs/plugin-vue'
import { resolve } from 'node:path'

export default defineConfig({
  plugins: [vue()],
  resolve: { alias: { '@renderer': resolve(import.meta.dirname, 'src/renderer/src') } },
  test: {
    environment: 'node',
    include: [
      'src/**/*.test.ts',
      'emulators/**/*.test.ts',
      'tests/contract/**/*.test.ts',
      'tests/cli/**/*.test.ts',
      'tests/unit/**/*.test.ts',
      'tests/keychain/**/*.test.ts',
    ],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
})
