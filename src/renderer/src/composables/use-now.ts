import { getCurrentScope, onScopeDispose, ref, type Ref } from 'vue'

const now = ref(Date.now())
let users = 0
let timer: ReturnType<typeof setInterval> | null = null

/**
 * A clock ticking once a second, shared by every "12 s ago" on screen (one timer, not one per
 * row); it stops when no scope uses it.
 */
export function useNow(): Readonly<Ref<number>> {
  users++
  now.value = Date.now()
  if (timer === null) {
    timer = setInterval(() => {
      now.value = Date.now()
    }, 1000)
  }
  if (getCurrentScope()) {
    onScopeDispose(() => {
      users--
      if (users === 0 && timer !== null) {
        clearInterval(timer)
        timer = null
      }
    })
  }
  return now
}
