import type { NodedeckBridge } from '../shared/rpc/protocol'

declare global {
  interface Window {
    /** Present only in the Electron host (the preload); absent in browser mode. */
    nodedeck?: NodedeckBridge
  }
}

export {}
