import { ref } from 'vue'
import type { Hy2Port, Hy2PortConflict } from '../../../../../../shared/contract'
import { api } from '../../../../api'
import { showError } from '../../../../utils/discrete'

/** The port of a listen address: `0.0.0.0:1080`, `[::]:1080`, `:1080` or `1701`; null if none. */
export function portOf(listen: string): number | null {
  const m = /(?:^|:)(\d{1,5})$/.exec(listen.trim())
  if (!m) return null
  const n = Number(m[1])
  return n >= 1 && n <= 65535 ? n : null
}

/** The ports to check for a listen address (nothing when it has no port). */
export function portsFor(listen: string, protos: Array<'tcp' | 'udp'>, desc: string): Hy2Port[] {
  const port = portOf(listen)
  return port === null ? [] : protos.map((proto) => ({ port, proto, desc }))
}

/**
 * The port check before a save: asks the node (`hy2scale.checkPorts`); when ports are taken it
 * shows them (bind `conflicts`/`show` to a PortConflictDialog) and waits for the admin's choice.
 */
export function usePortCheck(serverId: () => string) {
  const conflicts = ref<Hy2PortConflict[]>([])
  const show = ref(false)
  let answer: ((go: boolean) => void) | null = null

  /** True = go on with the save (all free, or the admin chose to proceed). */
  async function check(ports: Hy2Port[]): Promise<boolean> {
    if (ports.length === 0) return true
    let found: Hy2PortConflict[]
    try {
      found = (await api.hy2net.checkPorts(serverId(), ports)).conflicts
    } catch (err) {
      showError(err, serverId())
      return false
    }
    if (found.length === 0) return true
    conflicts.value = found
    show.value = true
    return new Promise<boolean>((resolve) => (answer = resolve))
  }

  function decide(go: boolean): void {
    show.value = false
    answer?.(go)
    answer = null
  }

  return { conflicts, show, check, proceed: () => decide(true), cancel: () => decide(false) }
}
