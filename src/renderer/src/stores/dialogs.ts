import { defineStore } from 'pinia'
import { ref } from 'vue'
import { SetupStoreId } from './ids'

/** The add/edit dialog: `serverId` null = add. */
export interface ServerEditorState {
  serverId: string | null
}

/** A pending kick confirmation. */
export interface KickState {
  serverId: string
  users: string[]
}

/** Owns every modal's state, so any view can open a dialog and only one of a kind is open. */
export const useDialogsStore = defineStore(SetupStoreId.Dialogs, () => {
  const serverEditor = ref<ServerEditorState | null>(null)
  const removeServer = ref<string | null>(null)
  const kick = ref<KickState | null>(null)

  return {
    serverEditor,
    removeServer,
    kick,
    openAdd: () => (serverEditor.value = { serverId: null }),
    openEdit: (serverId: string) => (serverEditor.value = { serverId }),
    closeEditor: () => (serverEditor.value = null),
    openRemove: (serverId: string) => (removeServer.value = serverId),
    closeRemove: () => (removeServer.value = null),
    openKick: (serverId: string, users: string[]) => (kick.value = { serverId, users: [...users] }),
    closeKick: () => (kick.value = null),
  }
})
