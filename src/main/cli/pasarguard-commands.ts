import type { Command } from 'commander'
import { readFile } from 'node:fs/promises'
import {
  AppErrorException,
  appError,
  type EventName,
  type EventPayload,
  type PgUser,
  type ServerConfig,
  type TlsCertInfo,
} from '../../shared/contract'
import { parseUsers } from '../../shared/pasarguard-users'
import type { Caller, CliKit } from './kit'

/** Reads a text file for a command, as an `invalid_input` error naming the file when it fails. */
async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8')
  } catch (err) {
    throw new AppErrorException(
      appError('invalid_input', `Cannot read the ${what} file ${path}: ${(err as Error).message}.`),
    )
  }
}

/**
 * Reads users for a sync from a JSON file: `[...]` or `{ "users": [...] }`, snake_case or
 * camelCase keys (`public_key`/`publicKey`, `peer_ips`/`peerIps`). Every user is checked (a
 * repeated email is refused too); the first problems are listed and nothing is sent when any
 * user is invalid.
 */
export function parseUsersJson(text: string, source: string): PgUser[] {
  const r = parseUsers(text)
  if (!r.ok) {
    const e = r.error
    const message =
      e.kind === 'json'
        ? `${source} is not JSON (line ${e.error.line}, column ${e.error.column}).`
        : e.kind === 'shape'
          ? `${source}: expected a JSON array of users or { "users": [...] }.`
          : `${source} holds ${e.count} users; at most ${e.max} can be synced at once. Nothing was sent.`
    throw new AppErrorException(appError('invalid_input', message))
  }
  const { total, users, invalid, invalidCount } = r.users
  if (invalidCount > 0) {
    const shown = invalid
      .map((p) =>
        p.message === 'duplicate'
          ? `#${p.index}: duplicate email ${p.email}`
          : `#${p.index}: ${p.message}`,
      )
      .join('; ')
    throw new AppErrorException(
      appError(
        'invalid_input',
        `${source}: ${invalidCount} of ${total} users are invalid (${shown}). Nothing was sent.`,
      ),
    )
  }
  return users
}

/**
 * TLS trust for `servers add`: `--ca-file` or `--fingerprint`, or — for an https URL with
 * neither — the certificate must be trusted by the system. Otherwise the command shows the
 * certificate's fingerprint and stops: trust on first use needs the admin to say so explicitly.
 */
export async function tlsForAdd(
  call: Caller,
  o: { url: string; caFile?: string; fingerprint?: string; httpsOnly: boolean },
): Promise<{ caPem?: string; fingerprintSha256?: string }> {
  if (o.caFile && o.fingerprint) {
    throw new AppErrorException(
      appError('invalid_input', 'Use either --ca-file or --fingerprint, not both.'),
    )
  }
  const https = /^https:\/\//i.test(o.url.trim())
  if (!https) {
    if (o.httpsOnly) {
      throw new AppErrorException(
        appError(
          'invalid_input',
          'This kind of server always speaks TLS: use an https:// URL (e.g. https://203.0.113.10:62050).',
        ),
      )
    }
    if (o.caFile || o.fingerprint) {
      throw new AppErrorException(
        appError('invalid_input', '--ca-file and --fingerprint need an https:// URL.'),
      )
    }
    return {}
  }
  if (o.caFile) {
    const caPem = await readText(o.caFile, 'CA certificate')
    if (!caPem.includes('-----BEGIN CERTIFICATE-----')) {
      throw new AppErrorException(
        appError(
          'invalid_input',
          `${o.caFile} holds no PEM certificate (-----BEGIN CERTIFICATE-----).`,
        ),
      )
    }
    return { caPem }
  }
  if (o.fingerprint) return { fingerprintSha256: o.fingerprint }
  const cert: TlsCertInfo = await call('servers.probeTls', { url: o.url })
  if (cert.trustedBySystem) return {}
  throw new AppErrorException(
    appError(
      'tls',
      `The server presents a certificate the system does not trust (${cert.systemError ?? 'untrusted'}; subject ${cert.subject || '—'}, valid until ${cert.validTo}). Its SHA-256 fingerprint is ${cert.fingerprintSha256}. Compare it with the node's (openssl x509 -noout -fingerprint -sha256 -in ssl_cert.pem) and add the server again with --fingerprint ${cert.fingerprintSha256}, or give its CA with --ca-file.`,
      { params: { fingerprintSha256: cert.fingerprintSha256, subject: cert.subject } },
    ),
  )
}

/** `stats` of a PasarGuard node: base info, core state, system stats and traffic totals. */
export async function pasarguardStats(call: Caller, s: ServerConfig) {
  const o = await call('pasarguard.overview', { serverId: s.id })
  const snap = await call('users.list', { serverId: s.id })
  const sum = (f: (u: (typeof snap.users)[number]) => number | null) =>
    snap.users.length === 0 && snap.at === null
      ? null
      : snap.users.some((u) => f(u) === null)
        ? null
        : snap.users.reduce((a, u) => a + (f(u) ?? 0), 0)
  return {
    kind: s.kind,
    transport: o.transport,
    started: o.info.started,
    core: o.core,
    coreVersion: o.info.coreVersion || null,
    nodeVersion: o.info.nodeVersion || null,
    cpuUsage: o.system?.cpuUsage ?? null,
    cpuCores: o.system?.cpuCores ?? null,
    memUsed: o.system?.memUsed ?? null,
    memTotal: o.system?.memTotal ?? null,
    incomingBps: o.system?.incomingBps ?? null,
    outgoingBps: o.system?.outgoingBps ?? null,
    uptimeSec: o.system?.uptimeSec ?? null,
    users: snap.at === null ? null : snap.users.length,
    online: snap.at === null ? null : snap.users.filter((u) => u.online).length,
    up: sum((u) => u.up),
    down: sum((u) => u.down),
  }
}

/** `logs`, `backend start|stop`, `sync-users` (PasarGuard nodes). */
export function registerPasarGuardCommands(program: Command, kit: CliKit): void {
  program
    .command('logs')
    .argument('<server>', 'id or unique name')
    .description(
      'the live log of a PasarGuard node (raw lines); without --follow, what arrives in --seconds',
    )
    .option('-f, --follow', 'keep printing until Ctrl+C')
    .option('--seconds <n>', 'without --follow: how long to collect (default 3)', Number, 3)
    .action(async (ref: string, o: { follow?: boolean; seconds: number }) => {
      await kit.withCore(async (core) => {
        const s = core.resolveServer(ref)
        const lines: string[] = []
        let dropped = 0
        let lastState: EventPayload<'stream.batch'>['state'] | undefined
        let failure: AppErrorException | null = null
        let wake: (() => void) | null = null
        const conn = core.connect(<E extends EventName>(name: E, payload: EventPayload<E>) => {
          if (name !== 'stream.batch') return
          const b = payload as EventPayload<'stream.batch'>
          if (b.serverId !== s.id || b.stream !== 'logs') return
          dropped += b.dropped
          if (b.dropped > 0 && !kit.isJson()) kit.stderr(`[${b.dropped} lines dropped]\n`)
          for (const f of b.frames) {
            const line = typeof f === 'string' ? f : JSON.stringify(f)
            if (o.follow) {
              kit.stdout(
                kit.isJson() ? JSON.stringify({ at: Date.now(), line }) + '\n' : line + '\n',
              )
            } else lines.push(line)
          }
          if (b.state && b.state.status !== lastState?.status) {
            lastState = b.state
            if (b.state.status === 'failed' && b.state.error) {
              failure = new AppErrorException({ ...b.state.error, serverId: s.id })
              wake?.()
            } else if (b.state.error && !kit.isJson()) {
              kit.stderr(`[${b.state.status}: ${b.state.error.message}]\n`)
            }
          }
        })
        try {
          await kit.withName(s.name, async () => {
            const r = await conn.call('streams.watch', { serverId: s.id, stream: 'logs' })
            if (!r.ok) throw new AppErrorException(r.error)
            const stop = o.follow ? kit.waitForStop() : delay(Math.max(0.2, o.seconds) * 1000)
            await Promise.race([stop, new Promise<void>((ok) => (wake = ok))])
            if (failure) throw failure
          })
        } finally {
          conn.close()
        }
        if (!o.follow) {
          kit.print({ server: s.id, lines, dropped, state: lastState?.status ?? null }, () =>
            lines.map((l) => l + '\n').join(''),
          )
        }
      })
    })

  const backend = program.command('backend').description('start or stop a PasarGuard node’s core')
  backend
    .command('start')
    .argument('<server>', 'id or unique name')
    .description('start the core (a running one is restarted by the node)')
    .requiredOption('--config <file>', 'the core’s config (Xray: JSON)')
    .option('--type <type>', 'xray | wireguard', 'xray')
    .option(
      '--keep-alive <seconds>',
      'the node stops its core after this long without a request (0 = off)',
      Number,
      0,
    )
    .option('--exclude-inbound <tag...>', 'inbound tags to leave out')
    .option('--users <file>', 'users to start with (JSON array or {"users": [...]})')
    .action(
      async (
        ref: string,
        o: {
          config: string
          type: string
          keepAlive: number
          excludeInbound?: string[]
          users?: string
        },
      ) => {
        if (o.type !== 'xray' && o.type !== 'wireguard') {
          throw new AppErrorException(
            appError('invalid_input', `--type is xray or wireguard, not "${o.type}".`),
          )
        }
        if (!Number.isInteger(o.keepAlive) || o.keepAlive < 0) {
          throw new AppErrorException(
            appError('invalid_input', '--keep-alive is a whole number of seconds (0 = off).'),
          )
        }
        const config = await readText(o.config, 'config')
        const users = o.users ? parseUsersJson(await readText(o.users, 'users'), o.users) : []
        const info = await kit.withCore(async (core, call) => {
          const s = core.resolveServer(ref)
          return kit.withName(s.name, async () => {
            const r = await call('pasarguard.start', {
              serverId: s.id,
              draft: {
                type: o.type as 'xray' | 'wireguard',
                config,
                keepAliveSec: o.keepAlive,
                excludeInbounds: o.excludeInbound ?? [],
                users,
              },
            })
            return { server: s.id, name: s.name, pollIntervalSec: s.pollIntervalSec, ...r }
          })
        })
        const warn =
          o.keepAlive > 0
            ? `note: keep-alive ${o.keepAlive} s — the node stops its core when nothing polls it that long (NodeDeck polls only while the app or "serve" runs).\n`
            : ''
        kit.print(
          {
            ok: true,
            server: info.server,
            started: info.started,
            coreVersion: info.coreVersion,
            nodeVersion: info.nodeVersion,
          },
          () =>
            `${info.name}: core ${info.started ? 'started' : 'not started'} (core ${info.coreVersion || '?'}, node ${info.nodeVersion || '?'})\n${warn}`,
        )
      },
    )
  backend
    .command('stop')
    .argument('<server>', 'id or unique name')
    .description('stop the core; the node forgets the backend and disconnects every user')
    .action(async (ref: string) => {
      const id = await kit.withCore(async (core, call) => {
        const s = core.resolveServer(ref)
        await kit.withName(s.name, () => call('pasarguard.stop', { serverId: s.id }))
        return s
      })
      kit.print({ ok: true, server: id.id }, () => `${id.name}: core stopped\n`)
    })

  program
    .command('sync-users')
    .argument('<server>', 'id or unique name')
    .argument('<file>', 'users (JSON array or {"users": [...]}, snake_case or camelCase)')
    .description(
      'send many users to a PasarGuard node: replace = the only users (core restart); chunked = merged in (others stay)',
    )
    .option(
      '--mode <mode>',
      'chunked (merged in; live up to 100 users) | replace (only these users; core restart)',
      'chunked',
    )
    .option('--chunk-size <n>', 'users per chunk (chunked)', Number, 1000)
    .action(async (ref: string, file: string, o: { mode: string; chunkSize: number }) => {
      if (o.mode !== 'chunked' && o.mode !== 'replace') {
        throw new AppErrorException(
          appError('invalid_input', `--mode is chunked or replace, not "${o.mode}".`),
        )
      }
      const users = parseUsersJson(await readText(file, 'users'), file)
      const r = await kit.withCore(async (core, call) => {
        const s = core.resolveServer(ref)
        return kit.withName(s.name, () =>
          call('pasarguard.syncUsers', {
            serverId: s.id,
            users,
            mode: o.mode as 'chunked' | 'replace',
            chunkSize: o.chunkSize,
            jobId: `cli-${Date.now()}`,
          }),
        )
      })
      kit.print(
        { ok: true, ...r },
        () =>
          `synced ${r.users} users in ${r.chunks} chunk(s), ${r.bytes} bytes, ${Math.round(r.elapsedMs)} ms${r.coreRestarted ? ' (the node restarted its core)' : ''}\n`,
      )
    })
}

function delay(ms: number): Promise<void> {
  return new Promise((ok) => setTimeout(ok, ms))
}
