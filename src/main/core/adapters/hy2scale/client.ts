import type { z } from 'zod'
import { AppErrorException, appError } from '../../../../shared/contract'
import { redactSecrets, redactUrl } from '../../util/redact'
import type { Logger } from '../../util/logger'
import type { HttpClient, HttpRequest, HttpResponse } from '../http/http-client'
import { parseJsonBody, type ResponseContext } from '../http/responses'
import {
  ArchSchema,
  BuildIdSchema,
  BuildInfoSchema,
  CertListSchema,
  ClientEntrySchema,
  ClientListSchema,
  DiagResolveSchema,
  GraphLayoutSchema,
  IKEv2ConfigSchema,
  L2TPConfigSchema,
  NodeSchema,
  OkSchema,
  PeerDiagSchema,
  PeerInfoListSchema,
  PeerListSchema,
  PemSchema,
  PortCheckResultSchema,
  ProxyListSchema,
  RulesEnvelopeSchema,
  SessionsSchema,
  SSConfigSchema,
  StatsSchema,
  TopologySchema,
  UiSettingsPutSchema,
  UiSettingsSchema,
  UpgradeApplySchema,
  UpgradeCheckSchema,
  UpgradeStatusSchema,
  UserConflictsSchema,
  UserListSchema,
  WgKeyPairSchema,
  WireGuardConfigSchema,
  type ArchWire,
  type BuildIdWire,
  type BuildInfoWire,
  type CertInfoWire,
  type ClientEntryInput,
  type ClientEntryWire,
  type DiagResolveWire,
  type GraphLayoutWire,
  type IKEv2ConfigInput,
  type IKEv2ConfigWire,
  type L2TPConfigInput,
  type L2TPConfigWire,
  type NodeUpdateInput,
  type NodeWire,
  type PeerDiagWire,
  type PeerInfoWire,
  type PeerWire,
  type PemWire,
  type PortCheckInput,
  type PortConflictWire,
  type ProxyConfigInput,
  type ProxyConfigWire,
  type RoutingRuleInput,
  type RulesEnvelopeWire,
  type SessionsWire,
  type SSConfigInput,
  type SSConfigWire,
  type StatsWire,
  type TlsGenerateInput,
  type TlsImportInput,
  type TlsImportPathInput,
  type TlsSignInput,
  type TopologyNodeWire,
  type UiSettingsInput,
  type UiSettingsPutWire,
  type UiSettingsWire,
  type UpgradeApplyWire,
  type UpgradeCheckWire,
  type UpgradeStatusWire,
  type UserConfigWire,
  type UserConflictsWire,
  type UserCreateInput,
  type WgKeyPairWire,
  type WireGuardConfigInput,
  type WireGuardConfigWire,
  type WireGuardPeerInput,
} from './schema'
import {
  HY2SCALE_HINT,
  createHy2ScaleSession,
  hy2ScaleStatusError,
  sha256Hex,
  type Hy2ScaleCredentials,
  type Hy2ScaleLoginInfo,
  type Hy2ScaleSession,
} from './session'

/** Size cap of `GET /api/backup` (the whole data dir as a tar). */
export const BACKUP_MAX_BYTES = 200 * 1024 * 1024
/** The node refuses a restore body above 50 MB (apis.md §2 route table). */
export const RESTORE_MAX_BYTES = 50 * 1024 * 1024
/** The node refuses an upgrade package above 200 MB. */
export const UPGRADE_MAX_BYTES = 200 * 1024 * 1024
/** Deadline of the big transfers (backup, restore, upgrade upload), unless `timeoutMs` is larger. */
export const TRANSFER_TIMEOUT_MS = 300_000

/** The SSE routes (apis.md §2 "Streams"); both take the token as `?token=`. */
export type Hy2ScaleStreamPath = '/api/graph-layout/stream' | '/api/upgrade/events'

/** The diagnostics `GET /api/diag/peer-{kind}`. */
export type Hy2ScalePeerDiagKind = 'health' | 'rebinds' | 'latency'

/** Options of {@link createHy2ScaleClient}. */
export interface Hy2ScaleClientOptions {
  serverId: string
  /**
   * The node's web UI URL including the base path, e.g. `http://host:5565/scale` (the node's
   * default base path is `/scale`; a node started with `--base-path /` has none).
   */
  baseUrl: string
  http: HttpClient
  /** The web UI login (plaintext), read at every login; null = none stored. */
  getCredentials(): Promise<Hy2ScaleCredentials | null>
  /** Deadline of ordinary calls (the HTTP layer's default when absent). */
  timeoutMs?: number
  tls?: HttpRequest['tls']
  log?: Logger
  /** Clock (ms), for tests of the idle re-login. */
  now?: () => number
}

/** What {@link Hy2ScaleClient.settings.changePassword} did. */
export interface Hy2ScalePasswordChangeResult {
  /** True when the client logged in again with the new login right away. */
  loggedIn: boolean
  /** From that login; null when it did not happen. */
  forcePasswordChange: boolean | null
}

/** One request of the client. */
interface Call {
  method: HttpRequest['method']
  /** Path under the base, already percent-encoded, e.g. `/api/users/ab12cd34`. */
  path: string
  query?: Record<string, string>
  json?: unknown
  raw?: { body: Uint8Array; type: string }
  /** false = the route needs no token (`/api/build-id`, `/api/internal/peers`). */
  auth?: boolean
  accept?: string
  timeoutMs?: number
  maxBytes?: number
  signal?: AbortSignal
  /** Values to mask in messages, beyond the secret fields of `json`. */
  secrets?: string[]
  /** `[key, action]`: the route is keyed by `key`, which must not be empty. */
  requires?: [string, string]
}

/** JSON keys whose string values (and everything below them) are secrets. */
const SECRET_KEY = /pass|psk|private|secret|token|^key$/i

/** Every secret-looking string of a request body: passwords, PSKs, private keys. */
function secretsOf(value: unknown, out: string[] = [], secret = false): string[] {
  if (typeof value === 'string') {
    if (secret && value) out.push(value)
  } else if (Array.isArray(value)) {
    for (const v of value) secretsOf(v, out, secret)
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) secretsOf(v, out, secret || SECRET_KEY.test(k))
  }
  return out
}

/** A path segment (apis.md §2 gotcha 6: session keys hold `|`; peer names may hold `/`). */
const seg = (s: string): string => encodeURIComponent(s)

/**
 * A client of the HY2 SCALE admin API (apis.md §2), one method per route of the v1.3.4 route
 * table. Login, token and the one re-login after a 401 are in {@link createHy2ScaleSession}.
 *
 * Errors: the node answers errors in plain text; 400 → `invalid_input` quoting the node, 401 (after
 * the one retry) → `auth`, 403 → `http_status`, 404 → `not_found`, 405 → `unsupported`, 5xx →
 * retryable `http_status`; a JSON answer of the wrong shape → `bad_payload` naming the route.
 * No message or log ever holds a password, token or private key: `/api/users` answers carry
 * plaintext passwords and WireGuard peers private keys, so answers are never logged.
 */
export function createHy2ScaleClient(opts: Hy2ScaleClientOptions) {
  const base = opts.baseUrl.replace(/\/+$/, '')
  const serverId = opts.serverId
  const session: Hy2ScaleSession = createHy2ScaleSession({
    serverId,
    baseUrl: base,
    http: opts.http,
    getCredentials: () => opts.getCredentials(),
    timeoutMs: opts.timeoutMs,
    tls: opts.tls,
    log: opts.log,
    now: opts.now,
  })

  /** Masks secrets, tokens and the URL's query (the QR text) in an error's message. */
  function scrub(err: unknown, url: URL, secrets: string[]): unknown {
    if (!(err instanceof AppErrorException)) return err
    const safe = `${redactUrl(`${url.origin}${url.pathname}`)}${url.search ? '?…' : ''}`
    let message = err.appError.message.split(redactUrl(url)).join(safe)
    message = session.redact(redactSecrets(message, secrets))
    if (message === err.appError.message) return err
    const scrubbed = new AppErrorException({ ...err.appError, message })
    scrubbed.stack = err.stack
    return scrubbed
  }

  /** Sends one call and reads its answer with `read`; every error is scrubbed. */
  async function run<T>(call: Call, read: (res: HttpResponse, ctx: ResponseContext) => T) {
    if (call.requires) requireKey(...call.requires)
    const url = new URL(base + call.path)
    for (const [k, v] of Object.entries(call.query ?? {})) url.searchParams.set(k, v)
    const what = `${call.method} ${call.path}`
    const secrets = [...(call.secrets ?? []), ...secretsOf(call.json)]
    const headers: Record<string, string> = { accept: call.accept ?? 'application/json' }
    let body: string | Uint8Array | undefined
    if (call.json !== undefined) {
      headers['content-type'] = 'application/json'
      body = JSON.stringify(call.json)
    } else if (call.raw) {
      headers['content-type'] = call.raw.type
      body = call.raw.body
    }
    const req: HttpRequest = {
      serverId,
      method: call.method,
      url,
      headers,
      body,
      timeoutMs: call.timeoutMs ?? opts.timeoutMs,
      maxBytes: call.maxBytes,
      signal: call.signal,
      tls: opts.tls,
    }
    try {
      const res = call.auth === false ? await opts.http.request(req) : await session.request(req)
      if (res.status < 200 || res.status >= 300) {
        throw hy2ScaleStatusError(res, { serverId, what }, secrets)
      }
      return read(res, { serverId, what, hint: HY2SCALE_HINT })
    } catch (err) {
      throw scrub(err, url, secrets)
    }
  }

  /** A JSON answer validated by `schema`. */
  function json<S extends z.ZodType>(call: Call, schema: S): Promise<z.output<S>> {
    return run(call, (res, ctx) => parseJsonBody(res, schema, ctx))
  }

  /** A mutation answered with `{"status":"ok"}`. */
  async function ok(call: Call): Promise<void> {
    await run(call, (res, ctx) => parseJsonBody(res, OkSchema, ctx))
  }

  function badPayload(ctx: ResponseContext, what: string): AppErrorException {
    return new AppErrorException(
      appError('bad_payload', `The answer to ${ctx.what} is not ${what}. ${ctx.hint}`, {
        serverId,
      }),
    )
  }

  const contentType = (res: HttpResponse): string =>
    String(res.headers['content-type'] ?? '').toLowerCase()

  /** A route keyed by an empty id or name would hit another route: refused up front. */
  function requireKey(key: string, what: string): void {
    if (!key) {
      throw new AppErrorException(
        appError('invalid_input', `${what} needs a non-empty id or name.`, { serverId }),
      )
    }
  }

  const longTimeout = Math.max(opts.timeoutMs ?? 0, TRANSFER_TIMEOUT_MS)

  return {
    // ---- session -------------------------------------------------------------------------------

    /**
     * Logs in now with the stored credentials (a fresh token). Other calls log in by themselves
     * when needed; use this to test a login or to read `forcePasswordChange`.
     */
    login(signal?: AbortSignal): Promise<Hy2ScaleLoginInfo> {
      return session.login(signal)
    },
    /** Drops the token; the next call logs in again (after the caller changed the stored login). */
    invalidate(): void {
      session.invalidate()
    },
    /** True while the node still has the default admin/admin login (null before any login). */
    get forcePasswordChange(): boolean | null {
      return session.forcePasswordChange
    },
    /** When the node last accepted the token (ms); null without a token. */
    get lastUsedAt(): number | null {
      return session.lastUsedAt
    },

    /**
     * The URL of an SSE stream with a fresh `?token=` (EventSource cannot send headers; apis.md §2
     * "Streams"). Connect to `url` WITHOUT an Authorization header (the node reads `?token=` only
     * when that header is empty); log only `redactedUrl`. Frames are `data: <json>` only: parse
     * graph-layout frames with `GraphLayoutSchema`, upgrade frames with `UpgradeStatusSchema`.
     * A 401 on connect means the token died: call this again for a new one.
     */
    async streamUrl(
      path: Hy2ScaleStreamPath,
      signal?: AbortSignal,
    ): Promise<{ url: string; redactedUrl: string }> {
      const u = new URL(base + path)
      u.searchParams.set('token', await session.token(signal))
      return { url: u.toString(), redactedUrl: redactUrl(u) }
    },

    // ---- node, stats, peers --------------------------------------------------------------------

    node: {
      /** `GET /api/node`: identity and the hy2 server config (its password is plaintext). */
      get(signal?: AbortSignal): Promise<NodeWire> {
        return json({ method: 'GET', path: '/api/node', signal }, NodeSchema)
      },
      /**
       * `PUT /api/node`: only the given fields change; `server` replaces the whole server block.
       * 400 when the server password is < 6 characters or equals a user's password.
       */
      update(input: NodeUpdateInput, signal?: AbortSignal): Promise<void> {
        return ok({ method: 'PUT', path: '/api/node', json: input, signal })
      },
    },

    /** `GET /api/stats`: uint64 byte totals, rates (bytes/s), connections, exit clients. */
    stats(signal?: AbortSignal): Promise<StatsWire> {
      return json({ method: 'GET', path: '/api/stats', signal }, StatsSchema)
    },

    /** `GET /api/peers`: the flat peer list. */
    peers(signal?: AbortSignal): Promise<PeerWire[]> {
      return json({ method: 'GET', path: '/api/peers', signal }, PeerListSchema)
    },
    /** `GET /api/topology`: the tree; element 0 is this node (`is_self`). */
    topology(signal?: AbortSignal): Promise<TopologyNodeWire[]> {
      return json({ method: 'GET', path: '/api/topology', signal }, TopologySchema)
    },
    /** `GET /api/peers/{name}/peers`: a peer's own peers (`name` may be a path `us/us-east`). */
    peerPeers(name: string, signal?: AbortSignal): Promise<PeerInfoWire[]> {
      return json(
        { method: 'GET', path: `/api/peers/${seg(name)}/peers`, signal },
        PeerInfoListSchema,
      )
    },
    /** `PUT /api/peers/{name}/nested` `{enabled}`. */
    peerNested(name: string, enabled: boolean, signal?: AbortSignal): Promise<void> {
      return ok({
        method: 'PUT',
        path: `/api/peers/${seg(name)}/nested`,
        json: { enabled },
        signal,
      })
    },
    /** `PUT /api/peers/{name}/disable` `{disabled}`. */
    peerDisable(name: string, disabled: boolean, signal?: AbortSignal): Promise<void> {
      return ok({
        method: 'PUT',
        path: `/api/peers/${seg(name)}/disable`,
        json: { disabled },
        signal,
      })
    },
    /** `GET /api/internal/peers` (no auth; the relay's reverse nesting discovery). */
    internalPeers(signal?: AbortSignal): Promise<PeerInfoWire[]> {
      return json(
        { method: 'GET', path: '/api/internal/peers', auth: false, signal },
        PeerInfoListSchema,
      )
    },

    graphLayout: {
      /** `GET /api/graph-layout`: `{positions: {key: {x, y}}}`. */
      get(signal?: AbortSignal): Promise<GraphLayoutWire> {
        return json({ method: 'GET', path: '/api/graph-layout', signal }, GraphLayoutSchema)
      },
      /** `PUT /api/graph-layout`: replaces the whole layout (a full snapshot). */
      put(
        positions: Record<string, { x: number; y: number }>,
        signal?: AbortSignal,
      ): Promise<void> {
        return ok({ method: 'PUT', path: '/api/graph-layout', json: { positions }, signal })
      },
    },

    // ---- clients (outbound peer links) ---------------------------------------------------------

    clients: {
      /** `GET /api/clients` (with `connected`). Entries hold peer passwords: never log them. */
      list(signal?: AbortSignal): Promise<ClientEntryWire[]> {
        return json({ method: 'GET', path: '/api/clients', signal }, ClientListSchema)
      },
      /** `GET /api/clients/{name}` (name or addr); 404 → `not_found`. */
      get(name: string, signal?: AbortSignal): Promise<ClientEntryWire> {
        return json({ method: 'GET', path: `/api/clients/${seg(name)}`, signal }, ClientEntrySchema)
      },
      /** `POST /api/clients` (name, addr/addrs, password required); a duplicate is a no-op. */
      create(entry: ClientEntryInput, signal?: AbortSignal): Promise<void> {
        return ok({ method: 'POST', path: '/api/clients', json: entry, signal })
      },
      /** `PUT /api/clients/{name}`: the whole entry (addr + password required; may rename). */
      update(name: string, entry: ClientEntryInput, signal?: AbortSignal): Promise<void> {
        return ok({
          requires: [name, 'Updating a peer link'],
          method: 'PUT',
          path: `/api/clients/${seg(name)}`,
          json: entry,
          signal,
        })
      },
      /** `PUT /api/clients/{name}/disable` `{disabled}`. */
      disable(name: string, disabled: boolean, signal?: AbortSignal): Promise<void> {
        return ok({
          method: 'PUT',
          path: `/api/clients/${seg(name)}/disable`,
          json: { disabled },
          signal,
        })
      },
      /** `DELETE /api/clients/{name}` (200 even when missing). */
      delete(name: string, signal?: AbortSignal): Promise<void> {
        return ok({
          requires: [name, 'Deleting a peer link'],
          method: 'DELETE',
          path: `/api/clients/${seg(name)}`,
          signal,
        })
      },
    },

    // ---- proxies and protocol services ---------------------------------------------------------

    proxies: {
      /** `GET /api/proxies` (never null). */
      list(signal?: AbortSignal): Promise<ProxyConfigWire[]> {
        return json({ method: 'GET', path: '/api/proxies', signal }, ProxyListSchema)
      },
      /** `POST /api/proxies` (id, listen required; protocol defaults to socks5). */
      create(proxy: ProxyConfigInput, signal?: AbortSignal): Promise<void> {
        return ok({ method: 'POST', path: '/api/proxies', json: proxy, signal })
      },
      /** `PUT /api/proxies/{id}`: the whole proxy (listen required). */
      update(id: string, proxy: ProxyConfigInput, signal?: AbortSignal): Promise<void> {
        return ok({
          requires: [id, 'Updating a proxy'],
          method: 'PUT',
          path: `/api/proxies/${seg(id)}`,
          json: proxy,
          signal,
        })
      },
      /** `DELETE /api/proxies/{id}`. */
      delete(id: string, signal?: AbortSignal): Promise<void> {
        return ok({
          requires: [id, 'Deleting a proxy'],
          method: 'DELETE',
          path: `/api/proxies/${seg(id)}`,
          signal,
        })
      },
    },

    ss: {
      /** `GET /api/ss`. */
      get(signal?: AbortSignal): Promise<SSConfigWire> {
        return json({ method: 'GET', path: '/api/ss', signal }, SSConfigSchema)
      },
      /** `PUT /api/ss` (the whole config). */
      put(config: SSConfigInput, signal?: AbortSignal): Promise<void> {
        return ok({ method: 'PUT', path: '/api/ss', json: config, signal })
      },
    },
    l2tp: {
      /** `GET /api/l2tp`: config + `capable`, `host_network`, `reason`. */
      get(signal?: AbortSignal): Promise<L2TPConfigWire> {
        return json({ method: 'GET', path: '/api/l2tp', signal }, L2TPConfigSchema)
      },
      /** `PUT /api/l2tp` (the whole config); 403 `L2TP unavailable: …` when not capable. */
      put(config: L2TPConfigInput, signal?: AbortSignal): Promise<void> {
        return ok({ method: 'PUT', path: '/api/l2tp', json: config, signal })
      },
    },
    ikev2: {
      /** `GET /api/ikev2`: config + `capable`, `host_network`, `reason`. */
      get(signal?: AbortSignal): Promise<IKEv2ConfigWire> {
        return json({ method: 'GET', path: '/api/ikev2', signal }, IKEv2ConfigSchema)
      },
      /** `PUT /api/ikev2` (the whole config; mode `mschapv2`|`psk`); 403 when not capable. */
      put(config: IKEv2ConfigInput, signal?: AbortSignal): Promise<void> {
        return ok({ method: 'PUT', path: '/api/ikev2', json: config, signal })
      },
    },

    // ---- WireGuard -----------------------------------------------------------------------------

    wireguard: {
      /** `GET /api/wireguard`: config (private keys!) + `running`, `connected`, `public_key`. */
      get(signal?: AbortSignal): Promise<WireGuardConfigWire> {
        return json({ method: 'GET', path: '/api/wireguard', signal }, WireGuardConfigSchema)
      },
      /** `PUT /api/wireguard`: the whole config; empty `peers` keeps the existing peers. */
      put(config: WireGuardConfigInput, signal?: AbortSignal): Promise<void> {
        return ok({ method: 'PUT', path: '/api/wireguard', json: config, signal })
      },
      /** `POST /api/wireguard/generate-key`: a fresh base64 key pair (the private key: no logs). */
      generateKey(signal?: AbortSignal): Promise<WgKeyPairWire> {
        return json(
          { method: 'POST', path: '/api/wireguard/generate-key', signal },
          WgKeyPairSchema,
        )
      },
      /** `POST /api/wireguard/peers` (name, public_key, allowed_ips required). */
      addPeer(peer: WireGuardPeerInput, signal?: AbortSignal): Promise<void> {
        return ok({ method: 'POST', path: '/api/wireguard/peers', json: peer, signal })
      },
      /** `PUT /api/wireguard/peers/{name}`: the full peer (keyed by name). */
      updatePeer(name: string, peer: WireGuardPeerInput, signal?: AbortSignal): Promise<void> {
        return ok({
          requires: [name, 'Updating a WireGuard peer'],
          method: 'PUT',
          path: `/api/wireguard/peers/${seg(name)}`,
          json: peer,
          signal,
        })
      },
      /** `DELETE /api/wireguard/peers/{name}`. */
      deletePeer(name: string, signal?: AbortSignal): Promise<void> {
        return ok({
          requires: [name, 'Deleting a WireGuard peer'],
          method: 'DELETE',
          path: `/api/wireguard/peers/${seg(name)}`,
          signal,
        })
      },
      /**
       * `GET /api/wireguard/peers/{name}/config[?endpoint=host]`: the wg-quick file (text/plain;
       * it holds the peer's private key). `Endpoint` is only written when `endpoint` is given.
       */
      peerConfigText(name: string, endpoint?: string, signal?: AbortSignal): Promise<string> {
        return run(
          {
            method: 'GET',
            path: `/api/wireguard/peers/${seg(name)}/config`,
            query: endpoint ? { endpoint } : undefined,
            accept: 'text/plain',
            signal,
          },
          (res, ctx) => {
            const text = res.body.toString('utf8')
            if (contentType(res).includes('text/html') || !text.includes('[Interface]')) {
              throw badPayload(ctx, 'a WireGuard config file')
            }
            return text
          },
        )
      },
      /**
       * `GET /api/wireguard/qr?text=…`: a 512×512 PNG QR code of any text, usually the output of
       * {@link peerConfigText} (apis.md §2 gotcha 7: not per peer). The text never reaches a
       * message or log (it holds a private key).
       */
      qrPng(text: string, signal?: AbortSignal): Promise<Buffer> {
        return run(
          {
            method: 'GET',
            path: '/api/wireguard/qr',
            query: { text },
            accept: 'image/png',
            secrets: [text],
            signal,
          },
          (res, ctx) => {
            const png = res.body
            if (png.length < 8 || png.readUInt32BE(0) !== 0x89504e47) {
              throw badPayload(ctx, 'a PNG image')
            }
            return png
          },
        )
      },
    },

    // ---- routing rules, ports, diagnostics -----------------------------------------------------

    rules: {
      /** `GET /api/rules`: `{available, rules}` (rules carry `tun_active`). */
      list(signal?: AbortSignal): Promise<RulesEnvelopeWire> {
        return json({ method: 'GET', path: '/api/rules', signal }, RulesEnvelopeSchema)
      },
      /** `POST /api/rules` (id, exit_via/exit_paths, targets, type ip|domain required). */
      create(rule: RoutingRuleInput, signal?: AbortSignal): Promise<void> {
        return ok({ method: 'POST', path: '/api/rules', json: rule, signal })
      },
      /** `PUT /api/rules/{id}`: the whole rule. (`/api/rules/tun-mode` is gone since v1.3.0.) */
      update(id: string, rule: RoutingRuleInput, signal?: AbortSignal): Promise<void> {
        return ok({
          requires: [id, 'Updating a routing rule'],
          method: 'PUT',
          path: `/api/rules/${seg(id)}`,
          json: rule,
          signal,
        })
      },
      /** `DELETE /api/rules/{id}`. */
      delete(id: string, signal?: AbortSignal): Promise<void> {
        return ok({
          requires: [id, 'Deleting a routing rule'],
          method: 'DELETE',
          path: `/api/rules/${seg(id)}`,
          signal,
        })
      },
      /** `PUT /api/rules/{id}/toggle` `{enabled}`. */
      toggle(id: string, enabled: boolean, signal?: AbortSignal): Promise<void> {
        return ok({
          method: 'PUT',
          path: `/api/rules/${seg(id)}/toggle`,
          json: { enabled },
          signal,
        })
      },
    },

    /**
     * `POST /api/check-ports` with a BARE array (apis.md §2 gotcha 3: the `{"ports": …}` form of
     * the project's own SPA is rejected with 400). Returns the conflicts, `[]` when all are free.
     */
    async checkPorts(ports: PortCheckInput[], signal?: AbortSignal): Promise<PortConflictWire[]> {
      const res = await json(
        { method: 'POST', path: '/api/check-ports', json: ports, signal },
        PortCheckResultSchema,
      )
      return res.conflicts
    },

    diag: {
      /** `GET /api/diag/resolve?name=&exit_via=`: how the node resolves a name via an exit. */
      resolve(name: string, exitVia = '', signal?: AbortSignal): Promise<DiagResolveWire> {
        return json(
          {
            method: 'GET',
            path: '/api/diag/resolve',
            query: { name, exit_via: exitVia },
            signal,
          },
          DiagResolveSchema,
        )
      },
      /** `GET /api/diag/peer-{health,rebinds,latency}`: `{peers: …}` (values UNVERIFIED). */
      peer(kind: Hy2ScalePeerDiagKind, signal?: AbortSignal): Promise<PeerDiagWire> {
        return json({ method: 'GET', path: `/api/diag/peer-${kind}`, signal }, PeerDiagSchema)
      },
    },

    // ---- sessions, users -----------------------------------------------------------------------

    sessions: {
      /** `GET /api/sessions`: `{devices, total}` (random order; bytes added when conns close). */
      list(signal?: AbortSignal): Promise<SessionsWire> {
        return json({ method: 'GET', path: '/api/sessions', signal }, SessionsSchema)
      },
      /**
       * `DELETE /api/sessions/{key}`: kicks a device (`username|ip|protocol`, percent-encoded)
       * and refuses it for 60 s. 404 `session not found` → `not_found`.
       */
      kick(key: string, signal?: AbortSignal): Promise<void> {
        return ok({
          requires: [key, 'Kicking a session'],
          method: 'DELETE',
          path: `/api/sessions/${seg(key)}`,
          signal,
        })
      },
    },

    users: {
      /** `GET /api/users` (never null). Records hold PLAINTEXT passwords: never log them. */
      list(signal?: AbortSignal): Promise<UserConfigWire[]> {
        return json({ method: 'GET', path: '/api/users', signal }, UserListSchema)
      },
      /** `POST /api/users` (username, password required; `id` is assigned when empty). */
      create(user: UserCreateInput, signal?: AbortSignal): Promise<void> {
        return ok({ method: 'POST', path: '/api/users', json: user, signal })
      },
      /**
       * `PUT /api/users/{id}` with the WHOLE record: the node replaces the record and keeps only
       * `traffic_used` (apis.md §2 gotcha 5: an omitted `password` becomes ""). Callers must
       * merge: read the record with {@link list}, spread it, change fields, pass it here. Unknown
       * fields of newer versions are sent back as read. Changing the password, username or proxy
       * settings kicks the user's sessions.
       */
      update(user: UserConfigWire, signal?: AbortSignal): Promise<void> {
        return ok({
          requires: [user.id, 'Updating a user'],
          method: 'PUT',
          path: `/api/users/${seg(user.id)}`,
          json: user,
          signal,
        })
      },
      /** `DELETE /api/users/{id}` (200 even when missing). */
      delete(id: string, signal?: AbortSignal): Promise<void> {
        return ok({
          requires: [id, 'Deleting a user'],
          method: 'DELETE',
          path: `/api/users/${seg(id)}`,
          signal,
        })
      },
      /** `PUT /api/users/{id}/toggle` `{enabled}`. */
      toggle(id: string, enabled: boolean, signal?: AbortSignal): Promise<void> {
        return ok({
          requires: [id, 'Enabling or disabling a user'],
          method: 'PUT',
          path: `/api/users/${seg(id)}/toggle`,
          json: { enabled },
          signal,
        })
      },
      /** `PUT /api/users/{id}/reset-traffic`: sets `traffic_used` to 0. */
      resetTraffic(id: string, signal?: AbortSignal): Promise<void> {
        return ok({
          requires: [id, 'Resetting the traffic of a user'],
          method: 'PUT',
          path: `/api/users/${seg(id)}/reset-traffic`,
          signal,
        })
      },
      /** `GET /api/users/conflicts`: `{username: {proxy: [other usernames]}}`. */
      conflicts(signal?: AbortSignal): Promise<UserConflictsWire> {
        return json({ method: 'GET', path: '/api/users/conflicts', signal }, UserConflictsSchema)
      },
    },

    // ---- settings ------------------------------------------------------------------------------

    settings: {
      /**
       * `PUT /api/settings/password` (all passwords as sha256 hex; apis.md §2 gotcha 1). A wrong
       * current password (403) → `auth`. The node then clears every token: this drops ours and,
       * when `newUsername` or `newPassword` is given, logs in again with the new login right
       * away. The caller MUST store the new login so `getCredentials()` returns it for later
       * re-logins (after the next restart of the node).
       */
      async changePassword(
        input: { currentPassword: string; newUsername?: string; newPassword?: string },
        signal?: AbortSignal,
      ): Promise<Hy2ScalePasswordChangeResult> {
        const body: Record<string, string> = { current_password: sha256Hex(input.currentPassword) }
        if (input.newUsername) body.new_username = input.newUsername
        if (input.newPassword) body.new_password = sha256Hex(input.newPassword)
        const secrets = [input.currentPassword, input.newPassword ?? '']
        try {
          await ok({ method: 'PUT', path: '/api/settings/password', json: body, secrets, signal })
        } catch (err) {
          if (err instanceof AppErrorException && err.appError.params?.status === 403) {
            throw new AppErrorException(
              appError(
                'auth',
                'The node refused the password change: the current password is incorrect (HTTP 403).',
                { serverId, params: { status: 403 } },
              ),
            )
          }
          throw err
        }
        session.invalidate()
        if (!input.newUsername && !input.newPassword) {
          return { loggedIn: false, forcePasswordChange: null }
        }
        const username = input.newUsername || (await opts.getCredentials())?.username || ''
        const password = input.newPassword || input.currentPassword
        try {
          const info = await session.loginWith({ username, password }, signal)
          return { loggedIn: true, forcePasswordChange: info.forcePasswordChange }
        } catch {
          // The change itself succeeded; the next call logs in with getCredentials().
          opts.log?.warn('hy2scale: login after a password change failed', { serverId })
          return { loggedIn: false, forcePasswordChange: null }
        }
      },
      /** `GET /api/settings/ui`. */
      getUi(signal?: AbortSignal): Promise<UiSettingsWire> {
        return json({ method: 'GET', path: '/api/settings/ui', signal }, UiSettingsSchema)
      },
      /**
       * `PUT /api/settings/ui` with any subset; `note` says whether a restart is needed (listen,
       * base path and TLS settings only apply after one).
       */
      putUi(settings: UiSettingsInput, signal?: AbortSignal): Promise<UiSettingsPutWire> {
        return json(
          { method: 'PUT', path: '/api/settings/ui', json: settings, signal },
          UiSettingsPutSchema,
        )
      },
    },

    // ---- backup, system, upgrade ---------------------------------------------------------------

    /**
     * `GET /api/backup`: the node's whole data dir as a tar (application/x-tar; it holds the
     * config with every password and the TLS keys). Capped at 200 MiB.
     */
    backup(signal?: AbortSignal): Promise<Buffer> {
      return run(
        {
          method: 'GET',
          path: '/api/backup',
          accept: 'application/x-tar',
          maxBytes: BACKUP_MAX_BYTES,
          timeoutMs: longTimeout,
          signal,
        },
        (res, ctx) => {
          const type = contentType(res)
          if (type.includes('text/html') || type.includes('application/json')) {
            throw badPayload(ctx, 'a tar archive')
          }
          return res.body
        },
      )
    },
    /**
     * `POST /api/restore` with the raw tar (≤ 50 MB, not multipart). The node restarts 0.5 s
     * later and every token dies: the token is dropped here; the caller reconnects (expect a
     * short outage).
     */
    async restore(tar: Uint8Array, signal?: AbortSignal): Promise<void> {
      if (tar.byteLength > RESTORE_MAX_BYTES) {
        throw new AppErrorException(
          appError(
            'invalid_input',
            `The backup is ${Math.ceil(tar.byteLength / 1048576)} MiB; the node accepts at most 50 MB.`,
            { serverId },
          ),
        )
      }
      await ok({
        method: 'POST',
        path: '/api/restore',
        raw: { body: tar, type: 'application/x-tar' },
        timeoutMs: longTimeout,
        signal,
      })
      session.invalidate()
    },

    /** `GET /api/system/arch`: os, arch, version, binary, in_docker. */
    arch(signal?: AbortSignal): Promise<ArchWire> {
      return json({ method: 'GET', path: '/api/system/arch', signal }, ArchSchema)
    },
    /** `GET /api/build-info`: version, license, dependencies. */
    buildInfo(signal?: AbortSignal): Promise<BuildInfoWire> {
      return json({ method: 'GET', path: '/api/build-info', signal }, BuildInfoSchema)
    },
    /** `GET /api/build-id` (no auth): changes with every deployment of the web UI. */
    buildId(signal?: AbortSignal): Promise<BuildIdWire> {
      return json({ method: 'GET', path: '/api/build-id', auth: false, signal }, BuildIdSchema)
    },

    upgrade: {
      /** `GET /api/upgrade/check` (asks GitHub; 502 when the node cannot reach it). */
      check(signal?: AbortSignal): Promise<UpgradeCheckWire> {
        return json({ method: 'GET', path: '/api/upgrade/check', signal }, UpgradeCheckSchema)
      },
      /** `POST /api/upgrade/download` (403 outside Docker, 400 when there is no update). */
      download(signal?: AbortSignal): Promise<UpgradeStatusWire> {
        return json({ method: 'POST', path: '/api/upgrade/download', signal }, UpgradeStatusSchema)
      },
      /** `GET /api/upgrade/status` (or follow `streamUrl('/api/upgrade/events')`). */
      status(signal?: AbortSignal): Promise<UpgradeStatusWire> {
        return json({ method: 'GET', path: '/api/upgrade/status', signal }, UpgradeStatusSchema)
      },
      /** `POST /api/upgrade/apply`: the node exits to restart; the token is dropped. */
      async apply(signal?: AbortSignal): Promise<UpgradeApplyWire> {
        const res = await json(
          { method: 'POST', path: '/api/upgrade/apply', signal },
          UpgradeApplySchema,
        )
        session.invalidate()
        return res
      },
      /**
       * `POST /api/upgrade` with a raw `.tar.gz` package (≤ 200 MB; 403 unless the node runs in
       * Docker). The node exits to restart; the token is dropped.
       */
      async upload(tarGz: Uint8Array, signal?: AbortSignal): Promise<UpgradeApplyWire> {
        if (tarGz.byteLength > UPGRADE_MAX_BYTES) {
          throw new AppErrorException(
            appError(
              'invalid_input',
              `The package is ${Math.ceil(tarGz.byteLength / 1048576)} MiB; the node accepts at most 200 MB.`,
              { serverId },
            ),
          )
        }
        const res = await json(
          {
            method: 'POST',
            path: '/api/upgrade',
            raw: { body: tarGz, type: 'application/gzip' },
            timeoutMs: longTimeout,
            signal,
          },
          UpgradeApplySchema,
        )
        session.invalidate()
        return res
      },
    },

    // ---- TLS certificates ----------------------------------------------------------------------

    tls: {
      /** `GET /api/tls`: the certificates (`null` on the wire when none → `[]`). */
      list(signal?: AbortSignal): Promise<CertInfoWire[]> {
        return json({ method: 'GET', path: '/api/tls', signal }, CertListSchema)
      },
      /** `POST /api/tls/import` with PEM text (400 on invalid PEM). */
      import(input: TlsImportInput, signal?: AbortSignal): Promise<void> {
        return ok({ method: 'POST', path: '/api/tls/import', json: input, signal })
      },
      /** `POST /api/tls/import-path` with paths on the node. */
      importPath(input: TlsImportPathInput, signal?: AbortSignal): Promise<void> {
        return ok({ method: 'POST', path: '/api/tls/import-path', json: input, signal })
      },
      /** `POST /api/tls/generate`: a self-signed ECDSA P-256 cert, CN = domains[0]. */
      generate(input: TlsGenerateInput, signal?: AbortSignal): Promise<void> {
        return ok({ method: 'POST', path: '/api/tls/generate', json: input, signal })
      },
      /** `POST /api/tls/sign`: an RSA-2048 leaf signed by a CA cert (500 if not a CA). */
      sign(input: TlsSignInput, signal?: AbortSignal): Promise<void> {
        return ok({ method: 'POST', path: '/api/tls/sign', json: input, signal })
      },
      /**
       * `GET /api/tls/{id}/pem`: `{cert, key}` (both "" when missing; `key` is a private key).
       * The seed doc's text/plain form (the certificate only) is accepted too.
       */
      pem(id: string, signal?: AbortSignal): Promise<PemWire> {
        return run({ method: 'GET', path: `/api/tls/${seg(id)}/pem`, signal }, (res, ctx) => {
          if (contentType(res).startsWith('text/plain')) {
            return { cert: res.body.toString('utf8'), key: '' }
          }
          return parseJsonBody(res, PemSchema, ctx)
        })
      },
      /** `DELETE /api/tls/{id}` (200 always). */
      delete(id: string, signal?: AbortSignal): Promise<void> {
        return ok({
          requires: [id, 'Deleting a certificate'],
          method: 'DELETE',
          path: `/api/tls/${seg(id)}`,
          signal,
        })
      },
    },
  }
}

/** A client of one HY2 SCALE node. */
export type Hy2ScaleClient = ReturnType<typeof createHy2ScaleClient>
