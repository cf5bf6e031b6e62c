import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import type { AlertSettings, Notice, QuietHours } from '../../../shared/contract'
import { DEFAULT_ALERT_SETTINGS } from '../../../shared/contract/plain'
import { useApi } from '../api'
import { readLocal, writeLocal } from '../utils/storage'
import { SetupStoreId } from './ids'

const SEEN_KEY = 'nodedeck.noticesSeenAt'
const MAX_NOTICES = 200

/** A notice worth an unread mark: neither muted nor held back by the flap limit. */
export function countsAsUnread(n: Notice): boolean {
  return !n.muted && !n.suppressed
}

/**
 * The notices centre (the newest alerts the core raised) and the alert settings (muted servers,
 * quiet hours). The full, persisted history is paged by the Alerts tab through `alerts.history`.
 */
export const useNoticesStore = defineStore(SetupStoreId.Notices, () => {
  const items = ref<Notice[]>([])
  const seenAt = ref<number>(readLocal(SEEN_KEY, (v) => (typeof v === 'number' ? v : null)) ?? 0)
  const settings = ref<AlertSettings>(structuredClone(DEFAULT_ALERT_SETTINGS))
  /** Bumped by every new notice, so an open history page knows to reload. */
  const revision = ref(0)

  /** The centre lists what popped or would have (held-back changes live in the history). */
  const centre = computed(() => items.value.filter((n) => !n.suppressed))
  const unread = computed(
    () => items.value.filter((n) => n.at > seenAt.value && countsAsUnread(n)).length,
  )
  const muted = computed(() => new Set(settings.value.mutedServerIds))

  function sortAndCap(list: Notice[]): Notice[] {
    return list.sort((a, b) => b.at - a.at).slice(0, MAX_NOTICES)
  }

  async function load(): Promise<void> {
    const [list, s] = await Promise.all([
      useApi().call('notices.list', undefined),
      useApi().call('alerts.settings.get', undefined),
    ])
    items.value = sortAndCap(list)
    settings.value = s
    revision.value++
  }

  /** A live `notice` event. Returns false if it was already known. */
  function push(notice: Notice): boolean {
    if (items.value.some((n) => n.id === notice.id)) return false
    items.value = sortAndCap([notice, ...items.value])
    revision.value++
    return true
  }

  function markAllRead(): void {
    seenAt.value = items.value[0]?.at ?? Date.now()
    writeLocal(SEEN_KEY, seenAt.value)
  }

  /** The `alerts.settings.changed` event (this or another window changed them). */
  function applySettings(next: AlertSettings): void {
    settings.value = next
  }

  function isMuted(serverId: string): boolean {
    return muted.value.has(serverId)
  }

  async function mute(serverId: string, value: boolean): Promise<void> {
    settings.value = await useApi().call('alerts.mute', { serverId, muted: value })
  }

  async function setQuietHours(quietHours: QuietHours): Promise<void> {
    settings.value = await useApi().call('alerts.settings.set', { quietHours })
  }

  /** Empties the persisted history (the centre too). */
  async function clear(): Promise<void> {
    await useApi().call('alerts.clear', undefined)
    items.value = []
    revision.value++
  }

  return {
    items,
    centre,
    seenAt,
    unread,
    settings,
    revision,
    load,
    push,
    markAllRead,
    applySettings,
    isMuted,
    mute,
    setQuietHours,
    clear,
  }
})
