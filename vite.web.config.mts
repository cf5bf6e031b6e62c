import { resolve } from 'node:path'
import vue from '@vitejs/plugin-vue'
import { defineConfig } from 'vite'

const root = import.meta.dirname

/**
 * One framework chunk (vue, pinia, vue-i18n) that rarely changes. Everything else is left to the
 * bundler's own splitting, so the entry chunk holds only what the first frame (the Fleet tab,
 * bench B5) uses, naive-ui's components among it, and each lazily loaded view takes the rest
 * of naive-ui (and echarts, zod…) with it instead of one preloaded vendor chunk carrying all.
 */
function vendorChunk(id: string): string | null {
  if (/node_modules[\\/](vue|@vue|pinia|vue-i18n|@intlify)[\\/]/.test(id)) return 'vendor-vue'
  return null
}

/**
 * The renderer as a static site (`out/web`), served by the browser host and loaded by Electron.
 * electron-vite's renderer section points at the same `src/renderer/index.html`.
 */
export default defineConfig({
  root: resolve(root, 'src/renderer'),
  base: './',
  plugins: [vue()],
  resolve: { alias: { '@renderer': resolve(root, 'src/renderer/src') } },
  define: {
    // vue-i18n feature flags: composition API only, no devtools in production.
    __VUE_I18N_FULL_INSTALL__: true,
    __VUE_I18N_LEGACY_API__: false,
    __INTLIFY_PROD_DEVTOOLS__: false,
  },
  build: {
    outDir: resolve(root, 'out/web'),
    emptyOutDir: true,
    chunkSizeWarningLimit: 1200,
    rolldownOptions: {
      output: {
        // Vite 8 bundles with rolldown: `codeSplitting.groups` is its manualChunks (which is
        // deprecated there and ignored when both are set).
        codeSplitting: {
          groups: [
            { name: (id: string) => vendorChunk(id), debugName: 'vendor', priority: 2 },
            // Everything else the entry imports statically (the first frame) in one chunk: left
            // to the automatic splitting, the modules the lazy views share with it came in
            // dozens of small chunks, each a request and a module of its own to load.
            { name: 'first-frame', tags: ['$initial'], priority: 1 },
          ],
        },
      },
    },
  },
})
