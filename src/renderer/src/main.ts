// First: picks the transport and starts the connection before the rest is evaluated.
import { host } from './host/boot'
import { createPinia } from 'pinia'
import { createApp, nextTick } from 'vue'
import App from './App.vue'
import { createApi, installApi } from './api'
import { applyLocale, i18n } from './locales/app-i18n'
import { useAppStore } from './stores/app'
import { useServersStore } from './stores/servers'

/**
 * Entry of the one bundle both hosts load: the transport (Electron bridge or the browser host's
 * WebSocket, `host/boot.ts`), the API over it, the app.
 */
if (host.mode !== 'no-token') installApi(createApi(host.connection))

const pinia = createPinia()
const app = createApp(App, { noToken: host.mode === 'no-token' })
  .use(pinia)
  .use(i18n)
if (host.mode === 'socket') {
  // The fleet from the config file until the core answers (the core's list replaces it); once
  // it is on screen, the page connects (host/index.ts).
  const { preview, previewDrawn } = host
  const servers = useServersStore(pinia)
  void preview.then(async (list) => {
    if (!list) return
    servers.applyPreview(list)
    await nextTick()
    requestAnimationFrame(() => setTimeout(previewDrawn, 0))
  })
}
// The first frame in the remembered (or the browser's) language: its messages load first. If
// they cannot, the page opens in English rather than not at all.
await applyLocale(useAppStore(pinia).locale).catch((err: unknown) => {
  console.error('could not load the messages', err)
})
app.mount('#app')
