import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BridgeDraft, ServerDraftInput } from '../../shared/contract'
import { startHysteria2Emulator, type Hysteria2Emulator } from '../../../emulators/hysteria2/server'
import { startHy2ScaleEmulator, type Hy2ScaleEmulator } from '../../../emulators/hy2scale/server'
import {
  startPasarGuardEmulator,
  type PasarGuardEmulator,
} from '../../../emulators/pasarguard/server'
import { startMuApiEmulator, type MuApiEmulator } from '../../../emulators/muapi/server'
import { startWgMonEmulator, type WgMonEmulator } from '../../../emulators/wgmon/server'
import type { CredentialStore } from '../core/credentials/credential-store'
import { createKeychainStore } from '../core/credentials/keychain-store'
import { createEphemeralDemoStore } from '../core/credentials/ephemeral-store'
import type { Core } from '../core/create-core'

/** A server of the demo fleet, with its emulator. */
interface DemoServer {
  draft: ServerDraftInput
  secret?: string
  emulator: { close(): Promise<void> } | null
}

export interface DemoFleet {
  /** The demo's own data directory (a fresh temp dir: the user's config is never touched). */
  readonly dataDir: string
  readonly credentials: CredentialStore
  readonly emulators: Hysteria2Emulator[]
  readonly hy2scale: Hy2ScaleEmulator
  /** Istanbul-PG (gRPC, pinned certificate, core running) and Tbilisi-PG (REST, CA, core stopped). */
  readonly pasarguard: PasarGuardEmulator[]
  /** Shanghai-Mu: a Mu API v2 panel (upstream ss-panel shapes) with simulated users and nodes. */
  readonly muapi: MuApiEmulator
  /** Busan-5: a Hysteria 2 server whose auth ids are the panel's emails (the bridge's source). */
  readonly bridgeSource: Hysteria2Emulator
  /** Seoul-WG: a WireGuard monitor with simulated peers and sessions. */
  readonly wgmon: WgMonEmulator
  /** Adds the demo servers and the traffic bridge (Busan-5 → Shanghai-Mu) to a core on `dataDir`. */
  populate(core: Core): Promise<void>
  stop(): Promise<void>
}

/**
 * Starts the demo fleet: emulated Hysteria 2 servers with simulated users and moving traffic
 * (one with a secret, one without, one with clear-on-read), plus one address where nothing
 * listens so the offline state and its notice can be seen. Its secrets go to the OS keychain
 * under a separate service name, and are deleted on stop; without a keychain they stay in memory.
 */
export async function startDemoFleet(opts: { tickMs?: number } = {}): Promise<DemoFleet> {
  const dataDir = await mkdtemp(join(tmpdir(), 'nodedeck-demo-'))
  const keychain = createKeychainStore({ service: 'NodeDeck Demo' })
  const kc = await keychain.check()
  const credentials = kc.ok
    ? keychain
    : createEphemeralDemoStore(
        `${kc.message} In this demo, secrets are kept in memory only and forgotten on exit; outside the demo NodeDeck refuses to store secrets without the keychain.`,
      )
  const tickMs = opts.tickMs ?? 1000
  const tokyo = await startHysteria2Emulator({
    secret: 'demo-tokyo-secret',
    simulate: { tickMs, users: 14, seed: 1 },
  })
  const hk = await startHysteria2Emulator({
    secret: 'demo-hk-secret',
    simulate: { tickMs, users: 8, seed: 2 },
  })
  const fra = await startHysteria2Emulator({ secret: '', simulate: { tickMs, users: 5, seed: 3 } })
  const scale = await startHy2ScaleEmulator({
    password: 'demo-scale-password',
    nodeName: 'Osaka-Scale',
    simulate: { tickMs, users: 12, seed: 4 },
  })
  // PasarGuard nodes: API keys are UUIDs; each node has its own self-signed certificate.
  const pgKeyA = '3f2c9a8e-5b1d-4e7a-9c3f-2a6b8d0e1f47'
  const pgKeyB = 'c0ffee00-1d2e-4f5a-8b7c-9d0e1f2a3b4c'
  const istanbul = await startPasarGuardEmulator({
    protocol: 'grpc',
    apiKey: pgKeyA,
    simulate: { users: 24, seed: 5, logLinesPerSec: 12, autoStart: true },
  })
  const tbilisi = await startPasarGuardEmulator({
    protocol: 'rest',
    apiKey: pgKeyB,
    simulate: { users: 6, seed: 6, logLinesPerSec: 4, autoStart: false },
  })
  // A Mu API v2 panel and a Hysteria 2 node whose users authenticate with the panel's emails:
  // a traffic bridge reports that node's traffic to the panel as node 1 (one user, guest@…, has
  // no panel account: the bridge lists it as unmatched and keeps its bytes).
  const muKey = 'demo-mu-key'
  const shanghai = await startMuApiEmulator({
    variant: 'upstream',
    key: muKey,
    simulate: { users: 14, seed: 7 },
  })
  const busan = await startHysteria2Emulator({
    secret: 'demo-busan-secret',
    simulate: {
      tickMs,
      seed: 8,
      names: [
        ...['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi'].map(
          (n) => `${n}@example.com`,
        ),
        'guest@example.com',
      ],
    },
  })
  // guest@example.com may stay idle in the simulation: one device that moved some traffic makes
  // sure the bridge has an unmatched name to show (its bytes wait in the journal).
  busan.moveTraffic(busan.connect('guest@example.com'), 48_000, 1_250_000)
  const seoul = await startWgMonEmulator({
    variant: 'upstream',
    simulate: { users: 12, seed: 9, tickMs: Math.max(tickMs, 1000) },
    monitorMs: 5000,
  })
  const servers: DemoServer[] = [
    {
      draft: {
        kind: 'hysteria2',
        name: 'Tokyo-1',
        url: tokyo.url,
        group: 'Asia',
        tags: ['demo'],
        pollIntervalSec: 5,
      },
      secret: 'demo-tokyo-secret',
      emulator: tokyo,
    },
    {
      draft: {
        kind: 'hysteria2',
        name: 'HongKong-2',
        url: hk.url,
        group: 'Asia',
        tags: ['demo'],
        pollIntervalSec: 5,
        options: { clearOnRead: true },
      },
      secret: 'demo-hk-secret',
      emulator: hk,
    },
    {
      draft: {
        kind: 'hysteria2',
        name: 'Frankfurt-3',
        url: fra.url,
        group: 'Europe',
        tags: ['demo'],
        pollIntervalSec: 5,
      },
      emulator: fra,
    },
    {
      draft: {
        kind: 'hy2scale',
        name: 'Osaka-Scale',
        url: scale.url,
        group: 'Asia',
        tags: ['demo'],
        pollIntervalSec: 5,
        options: { username: 'admin' },
      },
      secret: 'demo-scale-password',
      emulator: scale,
    },
    {
      draft: {
        kind: 'pasarguard',
        name: 'Istanbul-PG',
        url: istanbul.url,
        group: 'Europe',
        tags: ['demo', 'xray'],
        pollIntervalSec: 5,
        tls: { fingerprintSha256: istanbul.fingerprintSha256 },
        options: { transport: 'grpc' },
      },
      secret: pgKeyA,
      emulator: istanbul,
    },
    {
      // Core stopped until someone presses Start (shows the "core stopped" state).
      draft: {
        kind: 'pasarguard',
        name: 'Tbilisi-PG',
        url: tbilisi.url,
        group: 'Europe',
        tags: ['demo'],
        pollIntervalSec: 5,
        tls: { caPem: tbilisi.certPem },
        options: { transport: 'rest' },
      },
      secret: pgKeyB,
      emulator: tbilisi,
    },
    {
      draft: {
        kind: 'muapi',
        name: 'Shanghai-Mu',
        url: shanghai.apiUrl,
        group: 'Panels',
        tags: ['demo'],
        pollIntervalSec: 10,
        options: { keyPlacement: 'token' },
      },
      secret: muKey,
      emulator: shanghai,
    },
    {
      draft: {
        kind: 'hysteria2',
        name: 'Busan-5',
        url: busan.url,
        group: 'Asia',
        tags: ['demo', 'bridged'],
        pollIntervalSec: 5,
      },
      secret: 'demo-busan-secret',
      emulator: busan,
    },
    {
      draft: {
        kind: 'wgmon',
        name: 'Seoul-WG',
        url: seoul.url,
        group: 'Asia',
        tags: ['demo', 'wireguard'],
        pollIntervalSec: 5,
        options: { createRoute: 'upstream' },
      },
      emulator: seoul,
    },
    {
      // Nothing listens on port 9 of loopback (discard): shows the offline state.
      draft: {
        kind: 'hysteria2',
        name: 'Singapore-4',
        url: 'http://127.0.0.1:9',
        group: 'Asia',
        tags: ['demo'],
        pollIntervalSec: 10,
      },
      secret: 'demo-sg-secret',
      emulator: null,
    },
  ]
  const added: string[] = []
  return {
    dataDir,
    credentials,
    emulators: [tokyo, hk, fra],
    hy2scale: scale,
    pasarguard: [istanbul, tbilisi],
    muapi: shanghai,
    bridgeSource: busan,
    wgmon: seoul,
    async populate(core) {
      const conn = core.connect(() => undefined)
      try {
        for (const s of servers) {
          const r = await conn.call('servers.add', { draft: s.draft, secret: s.secret })
          if (!r.ok) throw new Error(`demo: cannot add ${s.draft.name}: ${r.error.message}`)
          added.push((r.data as { id: string }).id)
        }
        // The traffic bridge Busan-5 → Shanghai-Mu node 1 (rate 1), users matched by email, every
        // 10 s (the minimum): guest@example.com has no panel user and is listed as unmatched.
        const idOf = (name: string): string => {
          const id = added[servers.findIndex((s) => s.draft.name === name)]
          if (id === undefined) throw new Error(`demo: ${name} was not added`)
          return id
        }
        const draft = {
          sourceId: idOf('Busan-5'),
          panelId: idOf('Shanghai-Mu'),
          nodeId: 1,
          rule: 'email',
          intervalSec: 10,
          trafficRate: 1,
        } satisfies BridgeDraft
        const b = await conn.call('bridges.add', { draft })
        if (!b.ok) throw new Error(`demo: cannot add the bridge: ${b.error.message}`)
      } finally {
        conn.close()
      }
    },
    async stop() {
      for (const id of added) await credentials.deleteAll(id).catch(() => 0)
      await Promise.all(
        [tokyo, hk, fra, scale, istanbul, tbilisi, shanghai, busan, seoul].map((e) => e.close()),
      )
      await rm(dataDir, { recursive: true, force: true })
    },
  }
}
