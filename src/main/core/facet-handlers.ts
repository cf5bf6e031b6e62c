import { generateKeyPairSync } from 'node:crypto'
import { strToU8, zipSync } from 'fflate'
import {
  AppErrorException,
  appError,
  toAppError,
  type BulkResult,
  type MethodName,
} from '../../shared/contract'
import type { Handlers } from '../../shared/rpc/dispatcher'
import type { ServerAdapter } from './adapters/adapter'

/** What the facet handlers need from the core. */
export interface FacetContext {
  /** The adapter of a known server (`not_found` otherwise). */
  adapterOf(serverId: string): ServerAdapter
  /**
   * Polls the server soon (after a change, so lists and health follow at once); `certs` also
   * re-reads its certificate expiry (only certificate changes need that list again).
   */
  refresh(serverId: string, opts?: { certs?: boolean }): void
  /** Logs an action (facts only, never secrets). */
  audit(action: string, fields: Record<string, unknown>): void
}

type FacetMethods =
  | 'sessions.kick'
  | `accounts.${string}`
  | `wireguard.${string}`
  | `certs.${string}`
  | 'hy2scale.overview'
  | 'hy2scale.updateNode'
  | 'hy2scale.graphLayout.get'
  | 'hy2scale.graphLayout.save'
type FacetHandlers = Pick<Handlers, Extract<MethodName, FacetMethods>>

const FACET_NAMES: Record<string, string> = {
  sessions: 'live sessions',
  accounts: 'managing user accounts',
  wireguard: 'WireGuard',
  certificates: 'certificates',
  hy2scale: 'the HY2 SCALE node view',
}

/** A WireGuard key pair made on this machine (Curve25519, base64 like `wg genkey`). */
export function generateWireGuardKeyPair(): { privateKey: string; publicKey: string } {
  const { publicKey, privateKey } = generateKeyPairSync('x25519')
  const pub = publicKey.export({ format: 'jwk' }).x
  const priv = privateKey.export({ format: 'jwk' }).d
  if (!pub || !priv) throw new Error('x25519 export failed')
  const b64 = (u: string) => Buffer.from(u, 'base64url').toString('base64')
  return { privateKey: b64(priv), publicKey: b64(pub) }
}

/** A filesystem-safe `.conf` name for a peer. */
function confName(name: string): string {
  return `${name.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 64) || 'peer'}.conf`
}

/**
 * The contract handlers of the shared facets (accounts, sessions, WireGuard, certificates) and
 * of kind views, each routed to the server's adapter facet; a kind without the facet answers
 * `unsupported`. Every failure carries the server id.
 */
export function createFacetHandlers(ctx: FacetContext): FacetHandlers {
  function facet<K extends keyof ServerAdapter>(
    serverId: string,
    key: K,
  ): NonNullable<ServerAdapter[K]> {
    const f = ctx.adapterOf(serverId)[key]
    if (!f) {
      throw new AppErrorException(
        appError(
          'unsupported',
          `This kind of server does not support ${FACET_NAMES[key] ?? key}.`,
          {
            serverId,
          },
        ),
      )
    }
    return f as NonNullable<ServerAdapter[K]>
  }

  async function run<T>(serverId: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn()
    } catch (err) {
      throw new AppErrorException(toAppError(err, serverId))
    }
  }

  /** Applies `fn` to each id in turn; one failure does not stop the others. */
  async function bulk(
    serverId: string,
    ids: string[],
    action: string,
    fn: (id: string) => Promise<void>,
  ): Promise<BulkResult> {
    const result: BulkResult = { ok: [], failed: [] }
    for (const id of ids) {
      try {
        await fn(id)
        result.ok.push(id)
      } catch (err) {
        result.failed.push({ id, message: toAppError(err, serverId).message })
      }
    }
    ctx.audit(action, { serverId, ok: result.ok.length, failed: result.failed.length })
    ctx.refresh(serverId)
    return result
  }

  const ok = { ok: true as const }

  return {
    async 'sessions.kick'({ serverId, ids }) {
      const kick = facet(serverId, 'sessions').kick
      if (!kick) {
        throw new AppErrorException(
          appError('unsupported', 'This kind of server cannot disconnect single sessions.', {
            serverId,
          }),
        )
      }
      return bulk(serverId, ids, 'sessions.kick', (id) => kick(id))
    },

    async 'accounts.list'({ serverId }) {
      return run(serverId, () => facet(serverId, 'accounts').list())
    },
    async 'accounts.create'({ serverId, draft }) {
      if (!draft.password) {
        throw new AppErrorException(
          appError('invalid_input', 'A new account needs a password.', {
            serverId,
            params: { field: 'password' },
          }),
        )
      }
      await run(serverId, () => facet(serverId, 'accounts').create(draft))
      ctx.audit('accounts.create', { serverId })
      ctx.refresh(serverId)
      return ok
    },
    async 'accounts.update'({ serverId, id, draft }) {
      await run(serverId, () => facet(serverId, 'accounts').update(id, draft))
      ctx.audit('accounts.update', { serverId, id })
      ctx.refresh(serverId)
      return ok
    },
    async 'accounts.setEnabled'({ serverId, ids, enabled }) {
      const f = facet(serverId, 'accounts')
      return bulk(serverId, ids, 'accounts.setEnabled', (id) => f.setEnabled(id, enabled))
    },
    async 'accounts.resetTraffic'({ serverId, ids }) {
      const f = facet(serverId, 'accounts')
      return bulk(serverId, ids, 'accounts.resetTraffic', (id) => f.resetTraffic(id))
    },
    async 'accounts.remove'({ serverId, ids }) {
      const f = facet(serverId, 'accounts')
      return bulk(serverId, ids, 'accounts.remove', (id) => f.remove(id))
    },
    async 'accounts.conflicts'({ serverId }) {
      return run(serverId, () => facet(serverId, 'accounts').conflicts())
    },

    async 'wireguard.get'({ serverId }) {
      return run(serverId, () => facet(serverId, 'wireguard').get())
    },
    async 'wireguard.update'({ serverId, draft }) {
      await run(serverId, () => facet(serverId, 'wireguard').update(draft))
      ctx.audit('wireguard.update', { serverId })
      return ok
    },
    async 'wireguard.addPeer'({ serverId, draft }) {
      const wg = facet(serverId, 'wireguard')
      await run(serverId, async () => {
        const keys =
          draft.keys.mode === 'local'
            ? generateWireGuardKeyPair()
            : draft.keys.mode === 'server'
              ? await wg.generateKeyPair()
              : { publicKey: draft.keys.publicKey, privateKey: '' }
        await wg.addPeer({
          name: draft.name,
          allowedIps: draft.allowedIps,
          keepalive: draft.keepalive,
          exitVia: draft.exitVia,
          publicKey: keys.publicKey,
          privateKey: keys.privateKey,
        })
      })
      ctx.audit('wireguard.addPeer', { serverId, keys: draft.keys.mode })
      return ok
    },
    async 'wireguard.removePeer'({ serverId, name }) {
      await run(serverId, () => facet(serverId, 'wireguard').removePeer(name))
      ctx.audit('wireguard.removePeer', { serverId })
      return ok
    },
    async 'wireguard.peerConfig'({ serverId, name, endpoint }) {
      const text = await run(serverId, () =>
        facet(serverId, 'wireguard').peerConfigText(name, endpoint || undefined),
      )
      // The QR is drawn here from the text: the private key never goes into a URL.
      // Loaded on first use: the core's start (browser host cold start, B5) does not need it.
      const QRCode = (await import('qrcode')).default
      const qrSvg = await QRCode.toString(text, {
        type: 'svg',
        errorCorrectionLevel: 'M',
        margin: 2,
      })
      ctx.audit('wireguard.peerConfig', { serverId })
      return { name, filename: confName(name), text, qrSvg }
    },
    async 'wireguard.exportAll'({ serverId, endpoint }) {
      const wg = facet(serverId, 'wireguard')
      const state = await run(serverId, () => wg.get())
      const files: Record<string, Uint8Array> = {}
      const skipped: string[] = []
      for (const p of state.peers) {
        if (!p.hasPrivateKey) {
          skipped.push(p.name)
          continue
        }
        const text = await run(serverId, () => wg.peerConfigText(p.name, endpoint || undefined))
        files[confName(p.name)] = strToU8(text)
      }
      const zip = zipSync(files, { level: 6 })
      ctx.audit('wireguard.exportAll', { serverId, count: Object.keys(files).length })
      return {
        filename: 'wireguard-peers.zip',
        zipBase64: Buffer.from(zip).toString('base64'),
        count: Object.keys(files).length,
        skipped,
      }
    },

    async 'certs.list'({ serverId }) {
      return run(serverId, () => facet(serverId, 'certificates').list())
    },
    async 'certs.import'({ serverId, id, name, certPem, keyPem }) {
      await run(serverId, () =>
        facet(serverId, 'certificates').import({ id, name, certPem, keyPem }),
      )
      ctx.audit('certs.import', { serverId, id })
      ctx.refresh(serverId, { certs: true })
      return ok
    },
    async 'certs.generate'({ serverId, id, name, domains, days }) {
      await run(serverId, () =>
        facet(serverId, 'certificates').generate({ id, name, domains, days }),
      )
      ctx.audit('certs.generate', { serverId, id })
      ctx.refresh(serverId, { certs: true })
      return ok
    },
    async 'certs.sign'({ serverId, caId, id, name, cn, days }) {
      await run(serverId, () => facet(serverId, 'certificates').sign({ caId, id, name, cn, days }))
      ctx.audit('certs.sign', { serverId, id })
      ctx.refresh(serverId, { certs: true })
      return ok
    },
    async 'certs.pem'({ serverId, id, includeKey }) {
      const pem = await run(serverId, () => facet(serverId, 'certificates').pem(id))
      if (includeKey) ctx.audit('certs.revealKey', { serverId, id })
      return { cert: pem.cert, key: includeKey ? pem.key || null : null }
    },
    async 'certs.remove'({ serverId, id }) {
      await run(serverId, () => facet(serverId, 'certificates').remove(id))
      ctx.audit('certs.remove', { serverId, id })
      ctx.refresh(serverId, { certs: true })
      return ok
    },

    async 'hy2scale.overview'({ serverId }) {
      return run(serverId, () => facet(serverId, 'hy2scale').overview())
    },
    async 'hy2scale.updateNode'({ serverId, patch }) {
      await run(serverId, () => facet(serverId, 'hy2scale').updateNode(patch))
      ctx.audit('hy2scale.updateNode', { serverId })
      ctx.refresh(serverId)
      return ok
    },
    async 'hy2scale.graphLayout.get'({ serverId }) {
      return run(serverId, () => facet(serverId, 'hy2scale').getGraphLayout())
    },
    async 'hy2scale.graphLayout.save'({ serverId, positions }) {
      await run(serverId, () => facet(serverId, 'hy2scale').saveGraphLayout(positions))
      ctx.audit('hy2scale.graphLayout.save', { serverId, nodes: Object.keys(positions).length })
      return ok
    },
  }
}
