import { resolve } from 'node:path'
import vue from '@vitejs/plugin-vue'
import { defineConfig } from 'vite'

const root = import.meta.dirname

/**
 * Vendor chunks: a framework chunk that rarely changes, the (large) component library and the
 * chart library, which stays in the lazily loaded graph chunk.
 */
function vendorChunk(id: string): string | null {
  if (!id.includes('node_modules')) return null
  if (
    /node_modules[\\/](naive-ui|vueuc|vooks|vdirs|seemly|treemate|css-render|@css-render|evtd|date-fns|date-fns-tz|lodash-es|async-validator|@juggle)[\\/]/.test(
      id,
    )
  ) {
    return 'vendor-naive'
  }
  // echarts is only used by the lazily loaded topology graph: left out of the groups, it stays in
  // that graph's own chunk (a named group would pull its dependencies, vue among them, in with it
  // and be preloaded by index.html).
  if (/node_modules[\\/](echarts|zrender|vue-echarts)[\\/]/.test(id)) return null
  if (/node_modules[\\/](vue|@vue|pinia|vue-i18n|@intlify)[\\/]/.test(id)) return 'vendor-vue'
  return 'vendor'
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
          groups: [{ name: (id: string) => vendorChunk(id), debugName: 'vendor' }],
        },
      },
    },
  },
})
