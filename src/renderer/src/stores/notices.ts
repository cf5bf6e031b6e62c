import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import type { Notice } from '../../../shared/contract'
import { api } from '../api'
import { readLocal, writeLocal } from '../utils/storage'
import { SetupStoreId } from './ids'

const SEEN_KEY = 'nodedeck.noticesSeenAt'
const MAX_NOTICES = 200

/** The notices centre: what the core raised (offline, recovered, auth failed, degraded). */
export const useNoticesStore = defineStore(SetupStoreId.Notices, () => {
  const items = ref<Notice[]>([])
  const seenAt = ref<number>(readLocal(SEEN_KEY, (v) => (typeof v === 'number' ? v : null)) ?? 0)

  const unread = computed(() => items.value.filter((n) => n.at > seenAt.value).length)

  function sortAndCap(list: Notice[]): Notice[] {
    return list.sort((a, b) => b.at - a.at).slice(0, MAX_NOTICES)
  }

  async function load(): Promise<void> {
    items.value = sortAndCap(await api.notices.list())
  }

  /** A live `notice` event. Returns false if it was already known. */
  function push(notice: Notice): boolean {
    if (items.value.some((n) => n.id === notice.id)) return false
    items.value = sortAndCap([notice, ...items.value])
    return true
  }

  function markAllRead(): void {
    seenAt.value = items.value[0]?.at ?? Date.now()
    writeLocal(SEEN_KEY, seenAt.value)
  }

  return { items, seenAt, unread, load, push, markAllRead }
})
