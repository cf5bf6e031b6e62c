import { defineConfig } from 'vite'
import { builtinModules } from 'node:module'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'

const pkg = JSON.parse(readFileSync(resolve(import.meta.dirname, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>
}
const external = [
  ...builtinModules,
  ...builtinModules.map((m) => `node:${m}`),
  ...Object.keys(pkg.dependencies),
]

/** The Node build: the CLI (with the browser host, the demo fleet and the emulators) as CJS. */
export default defineConfig({
  build: {
    ssr: true,
    target: 'node22',
    outDir: resolve(import.meta.dirname, 'out/cli'),
    emptyOutDir: true,
    sourcemap: true,
    minify: false,
    rollupOptions: {
      // The workers are their own scripts beside nodedeck.js (core/history/history.ts, cli/main.ts).
      input: {
        nodedeck: resolve(import.meta.dirname, 'src/main/cli/main.ts'),
        'history-worker': resolve(import.meta.dirname, 'src/main/core/history/worker.ts'),
        // The servers preview of `serve`, read off the main thread (cli/main.ts).
        'preview-worker': resolve(import.meta.dirname, 'src/main/browser-host/preview-worker.ts'),
      },
      external: (id) => external.some((e) => id === e || id.startsWith(`${e}/`)),
      output: { format: 'cjs', entryFileNames: '[name].js', chunkFileNames: '[name]-[hash].js' },
    },
  },
})
