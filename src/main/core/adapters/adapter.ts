import type { z } from 'zod'
import type {
  Account,
  AccountDraft,
  AppError,
  Cert,
  Hy2ScaleArch,
  Hy2ScaleBuildInfo,
  Hy2ScaleGraphLayout,
  Hy2ScaleOverview,
  Hy2ScaleUiSettings,
  Hy2ScaleUiSettingsPatch,
  Hy2ScaleUpgradeCheck,
  Hy2ScaleUpgradeStatus,
  PgInfo,
  PgLatency,
  PgOnline,
  PgOverview,
  PgStartDraft,
  PgSyncMode,
  PgSyncResult,
  PgTraffic,
  PgUser,
  ServerConfig,
  SessionRow,
  WireGuardState,
} from '../../../shared/contract'
import type { ServerKind } from '../../../shared/kinds'
import type { StreamSpec } from '../streams/stream-hub'
import type { HttpClient } from './http/http-client'
import type { Hy2ScaleNetworkFacet } from './hy2scale/network'
import type { MuApiClient, MuNodeUser, MuUser } from './muapi/client'
import type { WgMonClient } from './wgmon/client'

/** What an adapter gets from the core: its server's config, the HTTP layer and its secrets. */
export interface AdapterContext {
  server: ServerConfig
  http: HttpClient
  /** Reads a secret of this server from the keychain at call time (never cached by adapters). */
  getSecret(key: string): Promise<string | null>
}

/** Per-user counters read from a server, in the client's point of view. */
export interface UsersReading {
  /** When the reading was taken (ms). */
  at: number
  /** Bytes per user; null when the server's traffic endpoint could not be read. */
  counters: Map<string, { up: number; down: number }> | null
  /** Devices per user (only online users listed); null when not readable. */
  devices: Map<string, number> | null
  /** The counters are deltas since the previous reading (the server cleared them on read). */
  countersAreDeltas: boolean
  /**
   * The kind has no per-user upload/download counters at all (HY2 SCALE keeps one total per
   * account, shown by the accounts facet): `counters` is null by nature, not because a read failed.
   */
  noCounters?: boolean
  /** Every known user, online or not (kinds with accounts), so offline users are listed too. */
  names?: string[]
  /**
   * What else finds a user in the fleet's user search, by user name: keys (WireGuard public key,
   * email, port…) and IPs (tunnel address, client addresses of live sessions). Only from data the
   * poll read anyway: filling it never costs a request.
   */
  terms?: Map<string, UserSearchTerms>
}

/** A user's searchable values besides the name (see {@link UsersReading.terms}). */
export interface UserSearchTerms {
  keys?: string[]
  ips?: string[]
}

/** The outcome of one poll of a server: health facts and, where the kind has them, users. */
export interface PollResult {
  latencyMs: number
  /** Some part failed while the server answered: the reason it is degraded. */
  partial: AppError | null
  users?: UsersReading
}

export interface PollOptions {
  /**
   * Change nothing on the server (no clear-on-read): for the "Test connection" probe, whose
   * reading is thrown away — a clearing read there would lose that slice of the counts.
   */
  readOnly?: boolean
}

/**
 * One server kind behind one interface. Optional facets are present only where the kind has the
 * capability; a missing facet answers the contract error `unsupported`.
 * Adapters never retry and never log secrets: the monitor schedules, the HTTP layer times out.
 */
export interface ServerAdapter {
  readonly kind: ServerKind
  /** One health poll; throws AppErrorException (auth, network, timeout, bad_payload...). */
  poll(signal?: AbortSignal, opts?: PollOptions): Promise<PollResult>
  users?: {
    /** Disconnects users; resolves when the server accepted the request. */
    kick(names: string[], signal?: AbortSignal): Promise<void>
  }
  sessions?: {
    list(signal?: AbortSignal): Promise<SessionRow[]>
    /** Disconnects one session by its id. */
    kick?(id: string): Promise<void>
  }
  /** Managed user accounts. Passwords go in, never come out. */
  accounts?: {
    list(): Promise<Account[]>
    create(draft: AccountDraft): Promise<void>
    /** Applies a draft to the stored record (kinds whose API replaces whole records merge). */
    update(id: string, draft: AccountDraft): Promise<void>
    setEnabled(id: string, enabled: boolean): Promise<void>
    resetTraffic(id: string): Promise<void>
    remove(id: string): Promise<void>
    conflicts(): Promise<Record<string, Record<string, string[]>>>
  }
  wireguard?: {
    get(): Promise<WireGuardState>
    update(server: {
      enabled: boolean
      listenPort: number
      address: string
      dns: string
      mtu: number | null
    }): Promise<void>
    /** Adds a peer with its public key and, where known, its private key. */
    addPeer(peer: {
      name: string
      allowedIps: string
      keepalive: number
      exitVia: string
      publicKey: string
      privateKey: string
    }): Promise<void>
    /** A key pair made by the node. */
    generateKeyPair(): Promise<{ privateKey: string; publicKey: string }>
    removePeer(name: string): Promise<void>
    /** The peer's wg-quick file as the node renders it (holds the private key). */
    peerConfigText(name: string, endpoint?: string): Promise<string>
  }
  certificates?: {
    list(): Promise<Cert[]>
    import(c: { id: string; name?: string; certPem: string; keyPem?: string }): Promise<void>
    generate(c: { id: string; name?: string; domains: string[]; days?: number }): Promise<void>
    sign(c: { caId: string; id: string; name?: string; cn: string; days?: number }): Promise<void>
    pem(id: string): Promise<{ cert: string; key: string }>
    remove(id: string): Promise<void>
  }
  /** HY2 SCALE's own node view. */
  hy2scale?: {
    overview(): Promise<Hy2ScaleOverview>
    updateNode(patch: { name?: string; exitNode?: boolean }): Promise<void>
    /** The node's own graph layout (`GET /api/graph-layout`). */
    getGraphLayout(): Promise<Hy2ScaleGraphLayout>
    /** Replaces the whole graph layout (`PUT /api/graph-layout`, a full snapshot). */
    saveGraphLayout(positions: Hy2ScaleGraphLayout['positions']): Promise<void>
  }
  /** HY2 SCALE peer links, proxies, routing rules, protocol services and the port check. */
  hy2scaleNetwork?: Hy2ScaleNetworkFacet
  /**
   * Live streams of the server (design.md §2.4). The core's hub opens one upstream per
   * (server, stream) with the spec given here and shares it between every watching UI.
   */
  streams?: {
    /** The names of the streams, e.g. `graph-layout`, `upgrade`. */
    readonly names: readonly string[]
    /** The hub spec of a stream (frames are the parsed JSON of each event); null if unknown. */
    spec(name: string): StreamSpec<unknown> | null
  }
  /** HY2 SCALE maintenance: UI settings, admin login, backup/restore, build info, upgrades. */
  hy2scaleMaintenance?: Hy2ScaleMaintenanceFacet
  /** A PasarGuard node: its core, stats and user sync (logs are the `logs` stream). */
  pasarguard?: PasarGuardFacet
  /** A Mu API v2 panel: its users and the client the traffic bridge reports with. */
  muapi?: MuApiFacet
  /** A WireGuard monitor (apis.md §5): dashboard, users, events, chart and user actions. */
  wgmon?: WgMonFacet
  /**
   * Releases what the adapter holds open (a gRPC channel). Called when the adapter is replaced
   * (settings changed), the server is removed, a test probe is done, or the core stops.
   */
  close?(): void
}

/** See {@link ServerAdapter.muapi}. */
export interface MuApiFacet {
  /** The panel's client (key from the keychain at call time, placement from the options). */
  client(): MuApiClient
  users(signal?: AbortSignal): Promise<{ users: MuUser[]; fetchedAt: number }>
  nodeUsers(
    nodeId: number,
    signal?: AbortSignal,
  ): Promise<{ nodeId: number; users: MuNodeUser[]; fetchedAt: number }>
  /** The users read by the last poll or list, if any (no request). */
  lastUsers(): { users: MuUser[]; at: number } | null
}

/** See {@link ServerAdapter.wgmon}. Every call goes through the server's one-at-a-time queue. */
export interface WgMonFacet {
  client(): WgMonClient
}

/** Progress of a full-set user sync. */
export interface PgSyncProgressUpdate {
  sentUsers: number
  totalUsers: number
  sentChunks: number
  totalChunks: number
}

/** See {@link ServerAdapter.pasarguard}. Every failure is an AppError (apis.md §3 mapping). */
export interface PasarGuardFacet {
  /** Info, core state, system and backend stats; records a chart sample (kept ≤ 10 min). */
  overview(signal?: AbortSignal): Promise<PgOverview>
  /** Checks the draft (Xray: JSON with inbounds), starts the backend, remembers what was started. */
  start(draft: PgStartDraft): Promise<PgInfo>
  /** Stops the backend; already without a backend counts as done. */
  stop(): Promise<void>
  /** Inbound and outbound counters with rates (per-table errors, e.g. WireGuard inbounds). */
  traffic(): Promise<PgTraffic>
  latency(): Promise<PgLatency[]>
  /** Online count and IPs of each user (a user the node does not know: online null + error). */
  online(emails: string[]): Promise<PgOnline[]>
  /** Adds, updates or (no inbounds) removes one user, live. */
  syncUser(user: PgUser): Promise<void>
  /** Replaces the node's whole user set (`replace` = SyncUsers, `chunked` = SyncUsersChunked). */
  syncUsers(
    users: PgUser[],
    opts: {
      mode: PgSyncMode
      chunkSize: number
      onProgress?: (p: PgSyncProgressUpdate) => void
      signal?: AbortSignal
    },
  ): Promise<PgSyncResult>
}

/** See {@link ServerAdapter.hy2scaleMaintenance}. */
export interface Hy2ScaleMaintenanceFacet {
  getSettings(): Promise<Hy2ScaleUiSettings>
  /** Applies a patch; `note` is the node's answer (restart needed or applied live). */
  saveSettings(patch: Hy2ScaleUiSettingsPatch): Promise<{ note: string; restartRequired: boolean }>
  /**
   * Changes the admin login on the node and logs in with the new one. The caller stores the new
   * login in the keychain (the adapter never writes secrets).
   */
  changePassword(input: {
    currentPassword: string
    newPassword: string
    newUsername?: string
  }): Promise<{ loggedIn: boolean }>
  /** The node's data dir as a tar. */
  backup(): Promise<Uint8Array>
  /** Restores a tar; the node restarts ~0.5 s later, the token is dropped. */
  restore(tar: Uint8Array): Promise<void>
  buildInfo(): Promise<Hy2ScaleBuildInfo>
  arch(): Promise<Hy2ScaleArch>
  upgradeCheck(): Promise<Hy2ScaleUpgradeCheck>
  upgradeDownload(): Promise<Hy2ScaleUpgradeStatus>
  upgradeStatus(): Promise<Hy2ScaleUpgradeStatus>
  /** The node installs the downloaded version and restarts; the token is dropped. */
  upgradeApply(): Promise<{ message: string }>
}

/** What the registry knows about a kind: how to build its adapter and check its options. */
export interface KindModule {
  kind: ServerKind
  /** Key under which the kind's secret is stored in the keychain. */
  secretKey: string
  /** Validates `ServerConfig.options` for this kind (fills defaults). */
  optionsSchema: z.ZodType<Record<string, string | number | boolean>>
  create(ctx: AdapterContext): ServerAdapter
}
