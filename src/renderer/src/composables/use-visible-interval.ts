import { onMounted, onScopeDispose } from 'vue'

/**
 * Calls `fn` at once and then every `ms` while the page is visible; a hidden page (another
 * browser tab, minimized window) makes no requests, and it catches up as soon as it is shown.
 */
export function useVisibleInterval(fn: () => void, ms: number): void {
  let timer: ReturnType<typeof setInterval> | null = null
  const visible = () => typeof document === 'undefined' || document.visibilityState !== 'hidden'
  const start = () => {
    if (timer !== null) return
    timer = setInterval(() => {
      if (visible()) fn()
    }, ms)
  }
  const onVisibility = () => {
    if (visible()) fn()
  }
  onMounted(() => {
    fn()
    start()
    document.addEventListener('visibilitychange', onVisibility)
  })
  onScopeDispose(() => {
    if (timer !== null) clearInterval(timer)
    timer = null
    if (typeof document !== 'undefined') {
      document.removeEventListener('visibilitychange', onVisibility)
    }
  })
}
