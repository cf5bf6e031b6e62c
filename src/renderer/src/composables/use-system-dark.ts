import { onScopeDispose, ref, type Ref } from 'vue'

/** Whether the OS/browser prefers a dark scheme, following changes live. */
export function useSystemDark(): Readonly<Ref<boolean>> {
  const query =
    typeof window !== 'undefined' && typeof window.matchMedia === 'function'
      ? window.matchMedia('(prefers-color-scheme: dark)')
      : null
  const dark = ref(query?.matches ?? false)
  if (query) {
    const onChange = (ev: MediaQueryListEvent) => {
      dark.value = ev.matches
    }
    query.addEventListener('change', onChange)
    onScopeDispose(() => query.removeEventListener('change', onChange))
  }
  return dark
}
