import { Command, CommanderError, Option } from 'commander'
import {
  AppErrorException,
  appError,
  toAppError,
  type AppError,
  type MethodInput,
  type MethodName,
  type MethodOutput,
  type ServerView,
} from '../../shared/contract'
import { createCore, type Core, type CoreDeps } from '../core/create-core'
import type { CredentialStore } from '../core/credentials/credential-store'
import { createKeychainStore } from '../core/credentials/keychain-store'
import { defaultDataDir } from '../core/util/paths'
import { formatBytes } from '../../shared/format'
import { KIND_INFO, isServerKind } from '../../shared/kinds'
import { pasarguardStats, registerPasarGuardCommands, tlsForAdd } from './pasarguard-commands'
import { registerBridgeCommands } from './bridge-commands'
import { table, type CliKit } from './kit'
import { announcement, findWebRoot } from './early-host'
import type { StaticHost } from '../browser-host/static-host'
import {
  checkOnlineFilter,
  muWgAddOptions,
  muWgStats,
  muWgUsers,
  registerMuWgCommands,
  wgmonKick,
} from './mu-wg-commands'

/** Everything the CLI touches of the outside world, so tests can run it in-process. */
export interface CliIo {
  stdout(text: string): void
  stderr(text: string): void
  /** Reads all of stdin (for --secret-stdin). */
  readStdin(): Promise<string>
  env: NodeJS.ProcessEnv
  /** Keychain used by the CLI (tests inject the real one under gnome-keyring or a test store). */
  credentials?: (service?: string) => CredentialStore
  /** Long-running commands (serve, demo) wait on this; tests resolve it to stop them. */
  untilStopped?: () => Promise<void>
  /** Called with the URL once `serve`/`demo` listen (tests, start scripts). */
  onListening?: (info: { url: string; openUrl: string }) => void
  /**
   * The static host the entry already bound and announced for this `serve`/`demo` command line
   * (early-host.ts): the command completes it with the core instead of binding its own.
   */
  listening?: StaticHost
}

/** NodeDeck's version (package.json). */
const VERSION = '0.1.0'

/** Where the built renderer is: next to the built CLI (`out/web`), or NODEDECK_WEB_ROOT. */
export function webRoot(env: NodeJS.ProcessEnv): string {
  const found = findWebRoot(env)
  if (found !== undefined) return found
  throw new AppErrorException(
    appError(
      'not_found',
      'The browser UI is not built. Run "npm run build" first (or set NODEDECK_WEB_ROOT).',
    ),
  )
}

class CliFailure extends Error {
  constructor(
    readonly appError: AppError,
    readonly serverName: string | null,
  ) {
    super(appError.message)
  }
}

/**
 * Runs the `nodedeck` CLI. Output contract (README): with `--json`, stdout carries exactly one
 * JSON document; on failure one line on stderr ("nodedeck: <server>: <what failed>. <what to do>")
 * and, with `--json`, the AppError object on stdout; exit code 1 (2 for usage errors).
 */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let json = false
  let exitCode = 0
  const program = new Command()
  program
    .name('nodedeck')
    .description('Manage a fleet of proxy/VPN servers (Hysteria 2, ...) from the command line.')
    .version(VERSION)
    .addOption(
      new Option('--data-dir <dir>', 'data directory (default: NODEDECK_DATA_DIR or the app’s)'),
    )
    .option('--json', 'print JSON (stable shapes, see README)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) })
    .showHelpAfterError()
    .hook('preAction', () => {
      json = Boolean(program.opts<{ json?: boolean }>().json)
    })

  const globals = () => {
    const o = program.opts<{ dataDir?: string; json?: boolean }>()
    json = Boolean(o.json)
    return { dataDir: o.dataDir ?? defaultDataDir(io.env) }
  }

  const keychain = (service?: string) =>
    io.credentials ? io.credentials(service) : createKeychainStore(service ? { service } : {})

  /** Runs fn with a core on the data dir (no background polling), then stops it. */
  async function withCore<T>(
    fn: (core: Core, call: Caller) => Promise<T>,
    extra: Partial<CoreDeps> = {},
  ): Promise<T> {
    const { dataDir } = globals()
    const core = await createCore({
      dataDir,
      credentials: keychain(),
      host: 'cli',
      capabilities: { tray: false, nativeNotifications: false, saveDialog: false },
      manual: true,
      version: VERSION,
      ...extra,
    })
    const conn = core.connect(() => undefined)
    const call: Caller = async (method, input) => {
      const r = await conn.call(method, input)
      if (!r.ok) throw new AppErrorException(r.error)
      return r.data as never
    }
    try {
      return await fn(core, call)
    } finally {
      conn.close()
      await core.stop()
    }
  }

  const print = (data: unknown, human: () => string) => {
    io.stdout(json ? JSON.stringify(data, null, 2) + '\n' : human())
  }

  const readSecret = async (o: {
    secretStdin?: boolean
    secretEnv?: string
  }): Promise<string | undefined> => {
    if (o.secretStdin && o.secretEnv) {
      throw new AppErrorException(
        appError('invalid_input', 'Use either --secret-stdin or --secret-env, not both.'),
      )
    }
    if (o.secretStdin) return (await io.readStdin()).replace(/\r?\n$/, '')
    if (o.secretEnv) {
      const v = io.env[o.secretEnv]
      if (v === undefined) {
        throw new AppErrorException(
          appError('invalid_input', `The environment variable ${o.secretEnv} is not set.`),
        )
      }
      return v
    }
    return undefined
  }

  const servers = program.command('servers').description('list, add and remove servers')
  servers
    .command('list')
    .description('list configured servers')
    .action(async () => {
      const list = await withCore((_c, call) => call('servers.list', undefined))
      print(
        list.map((s) => ({ id: s.id, name: s.name, kind: s.kind, url: s.url })),
        () =>
          table(
            ['ID', 'NAME', 'KIND', 'URL'],
            list.map((s) => [s.id, s.name, s.kind, s.url]),
          ),
      )
    })
  servers
    .command('add')
    .description(
      'add a server (the secret is read from stdin or an environment variable, never argv)',
    )
    .requiredOption(
      '--kind <kind>',
      'server kind: hysteria2 | hy2scale | pasarguard | muapi | wgmon',
    )
    .requiredOption('--name <name>', 'display name (unique)')
    .requiredOption('--url <url>', 'API base URL, e.g. http://203.0.113.10:9999')
    .option('--group <group>', 'group name', '')
    .option('--tag <tag...>', 'tags')
    .option('--interval <seconds>', 'poll interval in seconds', (v) => Number(v), 10)
    .option('--clear-on-read', 'Hysteria 2: read /traffic?clear=1 (only if nothing else clears)')
    .option('--username <name>', 'HY2 SCALE: the admin user name (default admin)')
    .option('--ca-file <pem>', 'https: trust this CA certificate (PEM file)')
    .option('--fingerprint <sha256>', 'https: pin the server certificate’s SHA-256 fingerprint')
    .option(
      '--grpc',
      'PasarGuard: the node speaks gRPC (SERVICE_PROTOCOL=grpc, the node’s default)',
    )
    .option('--rest', 'PasarGuard: the node speaks REST (SERVICE_PROTOCOL=rest; the CLI’s default)')
    .option('--key-placement <where>', 'Mu API panel: send the mu key as token | key | query')
    .option('--create-route <route>', 'WireGuard monitor: create users with upstream | seed')
    .option('--secret-stdin', 'read the secret from stdin')
    .option('--secret-env <var>', 'read the secret from this environment variable')
    .action(async (o: AddOpts) => {
      const secret = await readSecret(o)
      const options: Record<string, string | boolean> = {}
      if (o.clearOnRead) options.clearOnRead = true
      const info = isServerKind(o.kind) ? KIND_INFO[o.kind] : undefined
      const login = info?.username
      if (login) options.username = o.username ?? login.defaultValue
      if (o.grpc && o.rest) {
        throw new AppErrorException(appError('invalid_input', 'Use either --grpc or --rest.'))
      }
      if (info?.optionFields.some((f) => f.key === 'transport')) {
        options.transport = o.grpc ? 'grpc' : 'rest'
      } else if (o.grpc || o.rest) {
        throw new AppErrorException(
          appError(
            'invalid_input',
            '--grpc and --rest are for PasarGuard nodes (--kind pasarguard).',
          ),
        )
      }
      Object.assign(options, muWgAddOptions(o.kind, o))
      const r = await withCore(async (_c, call) => {
        const tls = await tlsForAdd(call, {
          url: o.url,
          caFile: o.caFile,
          fingerprint: o.fingerprint,
          httpsOnly: info?.httpsOnly ?? false,
        })
        return call('servers.add', {
          draft: {
            kind: o.kind as keyof typeof KIND_INFO,
            name: o.name,
            url: o.url,
            group: o.group,
            tags: o.tag ?? [],
            pollIntervalSec: o.interval,
            tls,
            options,
          },
          secret,
        })
      })
      print({ id: r.id }, () => `${r.id}\n`)
    })
  servers
    .command('remove')
    .argument('<server>', 'id or unique name')
    .description('remove a server and its keychain entries')
    .action(async (ref: string) => {
      await withCore(async (core, call) => {
        const s = resolveOr(core, ref)
        await call('servers.remove', { id: s.id })
        print({ ok: true, id: s.id }, () => `removed ${s.name} (${s.id})\n`)
      })
    })

  program
    .command('status')
    .description('probe every server once and print its state')
    .action(async () => {
      const list = await withCore(async (_c, call) => {
        await call('servers.refresh', {})
        return call('servers.list', undefined)
      })
      const rows = list.map((s: ServerView) => ({
        id: s.id,
        name: s.name,
        kind: s.kind,
        state: s.status.state,
        latencyMs: s.status.latencyMs,
        error: s.status.error?.message ?? null,
        errorCode: s.status.error?.code ?? null,
      }))
      print(rows, () =>
        table(
          ['NAME', 'KIND', 'STATE', 'LATENCY', 'ERROR'],
          rows.map((r) => [
            r.name,
            r.kind,
            r.state,
            r.latencyMs === null ? '—' : `${r.latencyMs} ms`,
            r.error ?? '',
          ]),
        ),
      )
    })

  program
    .command('users')
    .argument('<server>', 'id or unique name')
    .description('users with devices and traffic (bytes from the client’s point of view)')
    .option('--online', 'only users online now')
    .action(async (ref: string, o: { online?: boolean }) => {
      const got = await withCore(async (core, call) => {
        const s = resolveOr(core, ref)
        // Mu panels and WireGuard monitors print the same fields plus their own (mu-wg-commands).
        const own = await withName(s.name, async () => {
          if (o.online) checkOnlineFilter(s)
          return muWgUsers(call, s, { online: Boolean(o.online) }, table)
        })
        if (own) return { own }
        return withName(s.name, async () => ({
          own: null,
          snap: await call('users.list', { serverId: s.id }),
          // Kinds with managed accounts add quota facts (fields added, none changed).
          accounts: KIND_INFO[s.kind].capabilities.accounts
            ? await call('accounts.list', { serverId: s.id })
            : null,
        }))
      })
      if (got.own) {
        const own = got.own
        print(own.rows, () => own.human)
        return
      }
      const { snap, accounts } = got
      const byName = new Map((accounts ?? []).map((a) => [a.name, a]))
      if (o.online) snap.users = snap.users.filter((u) => u.online)
      const rows = snap.users.map((u) => {
        const row: Record<string, unknown> = {
          name: u.name,
          online: u.online,
          devices: u.devices,
          up: u.up,
          down: u.down,
        }
        const a = byName.get(u.name)
        if (accounts) {
          row.enabled = a?.enabled ?? null
          row.used = a?.trafficUsed ?? null
          row.limit = a?.trafficLimit ?? null
          row.expiresAt = a?.expiresAt ?? null
        }
        return row
      })
      print(
        rows,
        () =>
          table(
            [
              'USER',
              'ONLINE',
              'DEVICES',
              'UPLOAD',
              'DOWNLOAD',
              ...(accounts ? ['USED', 'LIMIT'] : []),
            ],
            snap.users.map((u) => [
              u.name,
              u.online ? 'yes' : 'no',
              u.devices === null ? '—' : String(u.devices),
              formatBytes(u.up),
              formatBytes(u.down),
              ...(accounts
                ? [
                    formatBytes(byName.get(u.name)?.trafficUsed ?? null),
                    byName.get(u.name)?.trafficLimit
                      ? formatBytes(byName.get(u.name)?.trafficLimit ?? null)
                      : 'unlimited',
                  ]
                : []),
            ]),
          ) + (snap.error ? `warning: ${snap.error.message}\n` : ''),
      )
    })

  program
    .command('sessions')
    .argument('<server>', 'id or unique name')
    .description('live sessions (Hysteria 2: the TCP stream dump)')
    .action(async (ref: string) => {
      const snap = await withCore(async (core, call) => {
        const s = resolveOr(core, ref)
        return withName(s.name, () => call('sessions.list', { serverId: s.id }))
      })
      print(snap.sessions, () =>
        table(
          ['USER', 'STATE', 'CONNECTION', 'STREAM', 'TARGET', 'UPLOAD', 'DOWNLOAD'],
          snap.sessions.map((x) => [
            x.user,
            x.state,
            x.connection ?? '',
            x.stream ?? '',
            x.target,
            formatBytes(x.up),
            formatBytes(x.down),
          ]),
        ),
      )
    })

  program
    .command('kick')
    .argument('<server>', 'id or unique name')
    .argument('<users...>', 'user names (auth ids)')
    .description(
      'disconnect users (Hysteria 2: one device per user per kick, on its next traffic; WireGuard monitor: closes the session only)',
    )
    .action(async (ref: string, users: string[]) => {
      await withCore(async (core, call) => {
        const s = resolveOr(core, ref)
        if (s.kind === 'wgmon') {
          // Per-user results and what a WireGuard kick does not do (mu-wg-commands).
          const r = await withName(s.name, () => wgmonKick(call, s, users))
          print(r.json, () => r.human)
          return
        }
        await withName(s.name, () => call('users.kick', { serverId: s.id, users }))
        print(
          { ok: true, server: s.id, users },
          () => `kick requested on ${s.name} for ${users.join(', ')}\n`,
        )
      })
    })

  const wg = program.command('wg').description('WireGuard peers of a server (HY2 SCALE)')
  wg.command('peers')
    .argument('<server>', 'id or unique name')
    .description('list the WireGuard peers (no private keys)')
    .action(async (ref: string) => {
      const state = await withCore(async (core, call) => {
        const s = resolveOr(core, ref)
        return withName(s.name, () => call('wireguard.get', { serverId: s.id }))
      })
      print(state.peers, () =>
        table(
          ['NAME', 'ALLOWED IPS', 'KEEPALIVE', 'EXIT', 'PUBLIC KEY'],
          state.peers.map((p) => [
            p.name,
            p.allowedIps,
            String(p.keepalive),
            p.exitVia,
            p.publicKey,
          ]),
        ),
      )
    })
  wg.command('export')
    .argument('<server>', 'id or unique name')
    .argument('<peer>', 'peer name')
    .option('--endpoint <host>', 'endpoint host written into the config (the node adds its port)')
    .option('--qr <file>', 'also write the config as a QR code PNG')
    .description('print the peer’s wg-quick config (it holds the peer’s private key)')
    .action(async (ref: string, peer: string, o: { endpoint?: string; qr?: string }) => {
      const cfg = await withCore(async (core, call) => {
        const s = resolveOr(core, ref)
        return withName(s.name, () =>
          call('wireguard.peerConfig', {
            serverId: s.id,
            name: peer,
            endpoint: o.endpoint ?? new URL(s.url).hostname,
          }),
        )
      })
      if (o.qr) {
        const QRCode = (await import('qrcode')).default
        await QRCode.toFile(o.qr, cfg.text, { type: 'png', errorCorrectionLevel: 'M', width: 512 })
      }
      print(
        { name: cfg.name, filename: cfg.filename, config: cfg.text, qr: o.qr ?? null },
        () => cfg.text,
      )
    })

  program
    .command('certs')
    .argument('<server>', 'id or unique name')
    .description('TLS certificates on the server, with days left')
    .action(async (ref: string) => {
      const certs = await withCore(async (core, call) => {
        const s = resolveOr(core, ref)
        return withName(s.name, () => call('certs.list', { serverId: s.id }))
      })
      const rows = certs.map((c) => ({
        id: c.id,
        name: c.name,
        subject: c.subject,
        issuer: c.issuer,
        notAfter: c.notAfter,
        isCa: c.isCa,
        daysLeft: c.daysLeft,
      }))
      print(rows, () =>
        table(
          ['ID', 'NAME', 'SUBJECT', 'ISSUER', 'NOT AFTER', 'CA', 'DAYS LEFT'],
          rows.map((c) => [
            c.id,
            c.name,
            c.subject,
            c.issuer,
            c.notAfter,
            c.isCa ? 'yes' : '',
            c.daysLeft === null ? '—' : String(c.daysLeft),
          ]),
        ),
      )
    })

  program
    .command('stats')
    .argument('<server>', 'id or unique name')
    .description('traffic totals and rates of a server')
    .action(async (ref: string) => {
      const stats = await withCore(async (core, call) => {
        const s = resolveOr(core, ref)
        return withName(s.name, async () => {
          if (s.kind === 'hy2scale') {
            const o = await call('hy2scale.overview', { serverId: s.id })
            return { kind: s.kind, ...o.stats }
          }
          if (s.kind === 'pasarguard') return pasarguardStats(call, s)
          const own = await muWgStats(call, s)
          if (own) return own
          const snap = await call('users.list', { serverId: s.id })
          const sum = (f: (u: (typeof snap.users)[number]) => number | null) =>
            snap.users.some((u) => f(u) === null)
              ? null
              : snap.users.reduce((a, u) => a + (f(u) ?? 0), 0)
          return {
            kind: s.kind,
            users: snap.users.length,
            online: snap.users.filter((u) => u.online).length,
            devices: sum((u) => u.devices),
            up: sum((u) => u.up),
            down: sum((u) => u.down),
          }
        })
      })
      const keyWidth = Math.max(12, ...Object.keys(stats).map((k) => k.length))
      print(
        stats,
        () =>
          Object.entries(stats)
            .map(([k, v]) => `${k.padEnd(keyWidth)} ${v === null ? '—' : String(v)}`)
            .join('\n') + '\n',
      )
    })

  program
    .command('emulate')
    .argument('<kind>', 'hysteria2 | hy2scale | pasarguard | muapi | wgmon')
    .description('run one emulated server (for trying NodeDeck, tests and benchmarks)')
    .option('--port <port>', 'port (default: any free port)', (v) => Number(v), 0)
    .option(
      '--secret <secret>',
      'its secret / admin password / API key (a throwaway value; PasarGuard: a UUID)',
      'emulator',
    )
    .option('--users <n>', 'users to create', (v) => Number(v), 0)
    .option('--sessions <n>', 'live sessions (devices) to open', (v) => Number(v), 0)
    .option('--simulate', 'simulated users and moving traffic instead')
    .option('--protocol <protocol>', 'PasarGuard SERVICE_PROTOCOL: grpc | rest', 'grpc')
    .option('--log-rate <n>', 'PasarGuard: log lines per second once the core runs', Number, 0)
    .action(
      async (
        kind: string,
        o: {
          port: number
          secret: string
          users: number
          sessions: number
          simulate?: boolean
          protocol: string
          logRate: number
        },
      ) => {
        const kinds = ['hysteria2', 'hy2scale', 'pasarguard', 'muapi', 'wgmon'] as const
        const isKind = (k: string): k is (typeof kinds)[number] =>
          (kinds as readonly string[]).includes(k)
        if (!isKind(kind)) {
          throw new AppErrorException(
            appError('invalid_input', `No emulator for "${kind}". Use ${kinds.join(', ')}.`),
          )
        }
        if (o.protocol !== 'grpc' && o.protocol !== 'rest') {
          throw new AppErrorException(
            appError('invalid_input', `Unknown protocol "${o.protocol}". Use grpc or rest.`),
          )
        }
        const { startEmulator } = await import('./emulate')
        const emu = await startEmulator({
          kind,
          ...o,
          protocol: o.protocol,
          simulate: Boolean(o.simulate),
        })
        const extra = {
          ...(emu.fingerprintSha256 ? { fingerprintSha256: emu.fingerprintSha256 } : {}),
          ...(emu.apiKey ? { apiKey: emu.apiKey } : {}),
        }
        if (json) io.stdout(JSON.stringify({ kind, url: emu.url, ...extra }) + '\n')
        else {
          io.stdout(`${kind} emulator listening at ${emu.url} (Ctrl+C to stop)\n`)
          if (extra.fingerprintSha256) io.stdout(`certificate SHA-256 ${extra.fingerprintSha256}\n`)
          if (extra.apiKey) io.stdout(`API key ${extra.apiKey}\n`)
        }
        await waitForStop()
        await emu.close()
      },
    )

  // One kit for every command group (they take what they need).
  const kit: CliKit = {
    withCore: (fn) => withCore(fn),
    print,
    isJson: () => json,
    stdout: (t) => io.stdout(t),
    stderr: (t) => io.stderr(t),
    waitForStop: () => waitForStop(),
    withName,
    setExitCode: (code) => {
      exitCode = code
    },
  }
  registerPasarGuardCommands(program, kit)
  registerMuWgCommands(program, kit)
  registerBridgeCommands(program, kit)

  program
    .command('serve')
    .description('run the browser host on 127.0.0.1 and print its URL')
    .option('--port <port>', 'port (default: any free port)', (v) => Number(v), 0)
    .option(
      '--metrics-token-file <path>',
      'fixed bearer token for GET /metrics (Prometheus); made if missing (default: NODEDECK_METRICS_TOKEN_FILE)',
    )
    .action(async (o: { port: number; metricsTokenFile?: string }) => {
      const { dataDir } = globals()
      const { startBrowserHost } = await import('../browser-host/server')
      const root = io.listening?.webRoot ?? webRoot(io.env)
      const tokenFile = o.metricsTokenFile ?? io.env.NODEDECK_METRICS_TOKEN_FILE
      const metricsToken = tokenFile
        ? (await (await import('../browser-host/metrics')).loadMetricsToken(tokenFile)).token
        : undefined
      const core = await createCore({
        dataDir,
        credentials: keychain(),
        host: 'browser',
        capabilities: { tray: false, nativeNotifications: false, saveDialog: false },
        version: VERSION,
      })
      core.start()
      const host = await startBrowserHost({
        core,
        webRoot: root,
        port: o.port,
        metricsToken,
        listening: io.listening,
      })
      announce(host.openUrl, host.url, false)
      if (tokenFile && !json) {
        io.stdout(`Prometheus metrics: ${host.url}metrics (bearer token in ${tokenFile})\n`)
      }
      await waitForStop()
      await host.close()
      await core.stop()
    })

  program
    .command('demo')
    .description(
      'start the demo fleet (emulated servers) in the browser host; never touches your config',
    )
    .option('--port <port>', 'port (default: any free port)', (v) => Number(v), 0)
    .action(async (o: { port: number }) => {
      const { startBrowserHost } = await import('../browser-host/server')
      const { startDemoFleet } = await import('../demo/demo-fleet')
      const root = io.listening?.webRoot ?? webRoot(io.env)
      const fleet = await startDemoFleet()
      const core = await createCore({
        dataDir: fleet.dataDir,
        credentials: fleet.credentials,
        host: 'browser',
        capabilities: { tray: false, nativeNotifications: false, saveDialog: false },
        demo: true,
        version: VERSION,
      })
      await fleet.populate(core)
      core.start()
      const host = await startBrowserHost({
        core,
        webRoot: root,
        port: o.port,
        listening: io.listening,
      })
      announce(host.openUrl, host.url, true)
      await waitForStop()
      await host.close()
      await core.stop()
      await fleet.stop()
    })

  function announce(openUrl: string, url: string, demo: boolean) {
    io.onListening?.({ url, openUrl })
    // An early host was announced by the entry already, before the core loaded.
    if (!io.listening) io.stdout(announcement({ url, openUrl }, demo, json))
  }

  function waitForStop(): Promise<void> {
    if (io.untilStopped) return io.untilStopped()
    return new Promise((ok) => {
      const stop = () => ok()
      process.once('SIGINT', stop)
      process.once('SIGTERM', stop)
    })
  }

  try {
    await program.parseAsync(argv, { from: 'user' })
  } catch (err) {
    if (err instanceof CommanderError) {
      if (
        err.code === 'commander.helpDisplayed' ||
        err.code === 'commander.version' ||
        err.exitCode === 0
      )
        return 0
      return 2
    }
    const e = err instanceof CliFailure ? err.appError : toAppError(err)
    const name = err instanceof CliFailure ? err.serverName : null
    // A command may fail before it read the global options (e.g. both secret flags given).
    json ||= Boolean(program.opts<{ json?: boolean }>().json)
    exitCode = 1
    io.stderr(`nodedeck: ${name ? `${name}: ` : ''}${e.message}\n`)
    if (json) io.stdout(JSON.stringify(e, null, 2) + '\n')
  }
  return exitCode
}

type Caller = <M extends MethodName>(method: M, input: MethodInput<M>) => Promise<MethodOutput<M>>

interface AddOpts {
  kind: string
  name: string
  url: string
  group: string
  tag?: string[]
  interval: number
  clearOnRead?: boolean
  secretStdin?: boolean
  secretEnv?: string
  username?: string
  caFile?: string
  fingerprint?: string
  grpc?: boolean
  rest?: boolean
  keyPlacement?: string
  createRoute?: string
}

function resolveOr(core: Core, ref: string) {
  return core.resolveServer(ref)
}

/** Tags a failure with the server's name for the one-line message. */
async function withName<T>(name: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    throw new CliFailure(toAppError(err), name)
  }
}

/** A plain left-aligned text table. */
