import { resolve } from 'node:path'
import vue from '@vitejs/plugin-vue'
import { defineConfig } from 'vite'

const root = resolve(import.meta.dirname, '..')

/**
 * The log viewer benchmark's harness page (`src/renderer/bench/log-viewer-bench.html`), built
 * like the app (production Vue, same plugins) into `out/bench/log-viewer`.
 */
export default defineConfig({
  root: resolve(root, 'src/renderer'),
  base: './',
  plugins: [vue()],
  logLevel: 'warn',
  resolve: { alias: { '@renderer': resolve(root, 'src/renderer/src') } },
  define: {
    __VUE_I18N_FULL_INSTALL__: true,
    __VUE_I18N_LEGACY_API__: false,
    __INTLIFY_PROD_DEVTOOLS__: false,
  },
  build: {
    outDir: resolve(root, 'out/bench/log-viewer'),
    emptyOutDir: true,
    chunkSizeWarningLimit: 4000,
    rolldownOptions: {
      input: resolve(root, 'src/renderer/bench/log-viewer-bench.html'),
    },
  },
})
