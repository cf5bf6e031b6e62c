/// <reference types="vite/types/importMeta.d.ts" />
/**
 * Electron main entry (built to out/main/index.js). Only wiring: real dependencies in,
 * `startShell` does the rest. Paths are relative to the built file.
 */
import { join } from 'node:path'
import { app } from 'electron'
import { createCore } from '../core/create-core'
import { createKeychainStore } from '../core/credentials/keychain-store'
import { createLogger } from '../core/util/logger'
import { startShell, type DemoFleet, type DemoStarter } from './shell'

const logger = createLogger({ level: app.isPackaged ? 'info' : 'debug' })

/**
 * The demo fleet is optional in a build: `import.meta.glob` yields an empty object when
 * `src/main/demo/demo-fleet.ts` does not exist, and a lazy chunk when it does.
 */
const demoModules = import.meta.glob('../demo/demo-fleet.ts')
const loadDemo = demoModules['../demo/demo-fleet.ts']
const startDemoFleet: DemoStarter | null = loadDemo
  ? async () => {
      const mod = (await loadDemo()) as { startDemoFleet?: () => Promise<DemoFleet> }
      if (typeof mod.startDemoFleet !== 'function') {
        throw new Error('src/main/demo/demo-fleet.ts does not export startDemoFleet')
      }
      return mod.startDemoFleet()
    }
  : null

startShell({
  argv: process.argv,
  paths: {
    preload: join(__dirname, '../preload/index.js'),
    rendererIndex: join(__dirname, '../renderer/index.html'),
    resources: join(__dirname, '../../resources'),
  },
  devServerUrl: process.env['ELECTRON_RENDERER_URL'],
  createCore,
  createCredentials: () => createKeychainStore(),
  startDemoFleet,
  logger,
}).catch((err: unknown) => {
  logger.error('NodeDeck failed to start', {
    error: err instanceof Error ? err.stack : String(err),
  })
  app.exit(1)
})
