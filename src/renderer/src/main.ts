import { createPinia } from 'pinia'
import { createApp } from 'vue'
import App from './App.vue'
import { createApi, installApi } from './api'
import { chooseHost } from './host'
import { i18n } from './locales'

/**
 * Entry of the one bundle both hosts load: pick the transport (Electron bridge or the browser
 * host's WebSocket), install the API over it, mount the app.
 */
const host = chooseHost()
if (host.mode !== 'no-token') installApi(createApi(host.connection))

createApp(App, { noToken: host.mode === 'no-token' })
  .use(createPinia())
  .use(i18n)
  .mount('#app')
