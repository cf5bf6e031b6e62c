import { defineAsyncComponent, type Component } from 'vue'
import type { ServerKind } from '../../../../shared/kinds'

/**
 * The panel of each kind, shown by the server tab below its header. `Record<ServerKind, …>`
 * makes a new kind without a panel a type error; `null` = health only. This is the one place
 * outside `views/kinds/<kind>/` that names a kind. Panels take a `serverId` prop.
 */
export const KIND_PANELS: Record<ServerKind, Component | null> = {
  hysteria2: defineAsyncComponent(() => import('./hysteria2/index.vue')),
  hy2scale: defineAsyncComponent(() => import('./hy2scale/index.vue')),
  pasarguard: defineAsyncComponent(() => import('./pasarguard/index.vue')),
  muapi: defineAsyncComponent(() => import('./muapi/index.vue')),
  wgmon: defineAsyncComponent(() => import('./wgmon/index.vue')),
}
