import { resolve } from 'node:path'
import { defineConfig } from 'electron-vite'
import vue from '@vitejs/plugin-vue'

/**
 * Electron build (infra.md): main and preload are CommonJS (package.json has no "type"),
 * `dependencies` stay external in main (required from node_modules at run time).
 */
export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      rolldownOptions: {
        // The history worker is its own script, started next to index.js (core/history/history.ts).
        input: {
          index: resolve('src/main/electron/index.ts'),
          'history-worker': resolve('src/main/core/history/worker.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      // sandbox: true loads the preload as one classic script that may require only
      // 'electron': everything else is bundled in, nothing split out.
      externalizeDeps: false,
      isolatedEntries: true,
      rolldownOptions: {
        input: { index: resolve('src/preload/index.ts') },
        output: { codeSplitting: false },
      },
    },
  },
  renderer: {
    root: 'src/renderer',
    plugins: [vue()],
    resolve: {
      alias: { '@renderer': resolve('src/renderer/src') },
    },
    // Same flags as vite.web.config.mts: both hosts load the same renderer.
    define: {
      __VUE_I18N_FULL_INSTALL__: true,
      __VUE_I18N_LEGACY_API__: false,
      __INTLIFY_PROD_DEVTOOLS__: false,
    },
    build: {
      outDir: 'out/renderer',
      rolldownOptions: {
        input: { index: resolve('src/renderer/index.html') },
      },
    },
  },
})
