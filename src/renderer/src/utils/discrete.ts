import type { ConfigProviderProps } from 'naive-ui'
import { shallowRef } from 'vue'
import type { AppError } from '../../../shared/contract'
import { i18n } from '../locales/app-i18n'
import { toAppError } from './errors'

/**
 * The one place that shows messages and errors outside a component tree (naive-ui's
 * `createDiscreteApi`). App.vue keeps its theme and locale in step with the app. The message and
 * notification providers (and their modules) load on the first message: the first frame needs
 * none of them.
 */
const providerProps = shallowRef<ConfigProviderProps>({})

type Discrete = Awaited<ReturnType<typeof createDiscrete>>
let discrete: Promise<Discrete> | null = null

async function createDiscrete() {
  const { createDiscreteApi } = await import('./discrete-api')
  return createDiscreteApi(['message', 'notification'], {
    configProviderProps: providerProps,
    notificationProviderProps: { max: 4, placement: 'bottom-right' },
  })
}

/**
 * Loads the message providers now (the page does once its first frame is up; tests, before they
 * look for a message). A failed load is tried again by the next message.
 */
export function preloadDiscrete(): Promise<void> {
  discrete ??= createDiscrete()
  return discrete.then(
    () => undefined,
    (err: unknown) => {
      discrete = null
      console.error('could not load the message providers', err)
    },
  )
}

/** Runs `show` with the discrete API once it is loaded. */
function withDiscrete(show: (api: Discrete) => void): void {
  void preloadDiscrete().then(() => discrete?.then(show))
}

/** Theme and locale for the discrete messages (called by App.vue when they change). */
export function setDiscreteConfig(props: ConfigProviderProps): void {
  providerProps.value = props
}

/** How errors learn a server's name and whether the connection is up (set by App.vue). */
export interface ErrorContext {
  serverName(id: string): string | undefined
  connected(): boolean
}

let context: ErrorContext = { serverName: () => undefined, connected: () => true }

export function setErrorContext(next: ErrorContext): void {
  context = next
}

/** A short localized title for an error code. */
export function errorTitle(error: AppError): string {
  return i18n.global.t(`errors.codes.${error.code}`)
}

/** "<server name>: <message>" when the error is about a server, else the message. */
export function errorText(error: AppError): string {
  const name = error.serverId ? (context.serverName(error.serverId) ?? error.serverId) : null
  return name ? `${name}: ${error.message}` : error.message
}

/**
 * Shows a failed call: a localized title by code, and the core's English sentence (which says
 * what failed and what to do) with the server's name. Network errors while disconnected are
 * not shown: the connection banner already says so.
 */
export function showError(err: unknown, serverId?: string): void {
  const error = toAppError(err, serverId)
  if (error.code === 'network' && !context.connected()) return
  withDiscrete((d) =>
    d.notification.error({
      title: errorTitle(error),
      content: errorText(error),
      duration: 8000,
      keepAliveOnHover: true,
    }),
  )
}

/** A short confirmation ("Saved Tokyo 1"). */
export function showSuccess(text: string): void {
  withDiscrete((d) => d.message.success(text))
}

/** A short informational message. */
export function showInfo(text: string): void {
  withDiscrete((d) => d.message.info(text))
}
