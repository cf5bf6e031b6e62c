import type { Command } from 'commander'
import {
  AppErrorException,
  appError,
  BRIDGE_RULES,
  type AppError,
  type BridgePatch,
  type BridgeRule,
  type BridgeStartFrom,
  type BridgeStatus,
  type BridgeView,
} from '../../shared/contract'
import { formatBytes } from '../../shared/format'
import type { Core } from '../core/create-core'
import { table, type CliKit } from './kit'

interface RunOpts {
  from: string
  to: string
  nodeId: number
  rule?: string
  interval?: number
  rate?: number
  settle?: number
  online: boolean
  startFrom?: string
  once?: boolean
}

const RATE_HELP =
  "the node's traffic_rate in the panel (default 1). The panel multiplies every report by it; the Mu API cannot read it, so the bridge needs it to verify a report whose answer was lost (did the counters rise by bytes × rate?). It never changes what is sent"

function parseRule(v: string | undefined): BridgeRule | undefined {
  if (v === undefined) return undefined
  if ((BRIDGE_RULES as readonly string[]).includes(v)) return v as BridgeRule
  throw new AppErrorException(
    appError('invalid_input', `Unknown rule "${v}". Use ${BRIDGE_RULES.join(', ')}.`),
  )
}

function parseStartFrom(v: string | undefined): BridgeStartFrom | undefined {
  if (v === undefined) return undefined
  if (v === 'source_start' || v === 'now') return v
  throw new AppErrorException(
    appError('invalid_input', `Unknown --start-from "${v}". Use source_start or now.`),
  )
}

function num(v: string): number {
  return Number(v)
}

/**
 * One line per tick for people. `prevBatch` is the batch id of the last report before this tick:
 * a different one now means this tick reported it.
 */
export function tickLine(name: string, s: BridgeStatus, prevBatch: number | null): string {
  const parts: string[] = [`${new Date().toISOString()} ${name}: ${s.state}`]
  const r = s.lastReport
  if (r && r.batchId !== prevBatch) {
    parts.push(
      `reported batch ${r.batchId} (${r.users} users, up ${formatBytes(r.u)}, down ${formatBytes(r.d)})`,
    )
  } else if (s.state === 'idle') parts.push('nothing new to report')
  parts.push(
    `pending ${s.pending.users} users (up ${formatBytes(s.pending.u)}, down ${formatBytes(s.pending.d)})`,
  )
  if (s.inflight) {
    parts.push(
      `batch ${s.inflight.id} ${s.inflight.outcome === 'unknown' ? 'unverified' : 'in flight'}`,
    )
  }
  if (s.unmatched.length > 0) {
    const names = s.unmatched.slice(0, 5).map((u) => u.name)
    parts.push(
      `unmatched ${s.unmatched.length} (${names.join(', ')}${s.unmatched.length > 5 ? ', …' : ''})`,
    )
  }
  if (s.online.count !== null && s.online.error === null) parts.push(`online ${s.online.count}`)
  if (s.online.error) parts.push(`online count not reported: ${s.online.error.message}`)
  if (s.verifyAfter !== null && s.state !== 'needs_attention') {
    parts.push(`verifying the lost answer after ${new Date(s.verifyAfter).toISOString()}`)
  }
  let line = parts.join('; ')
  if (s.error) {
    line += `\n  ${s.state === 'needs_attention' ? 'attention' : 'error'}: ${s.error.message}`
  }
  return line + '\n'
}

/** `nodedeck bridge …`: run, list, preview, resolve and remove traffic bridges. */
export function registerBridgeCommands(program: Command, kit: CliKit): void {
  const bridge = program
    .command('bridge')
    .description(
      'traffic bridges: report a Hysteria 2 / HY2 SCALE server’s per-user traffic to a Mu API v2 panel',
    )

  /** A bridge by id or unique name. */
  const findBridge = (list: BridgeView[], ref: string): BridgeView => {
    const byId = list.find((b) => b.config.id === ref)
    if (byId) return byId
    const byName = list.filter((b) => b.config.name.toLowerCase() === ref.toLowerCase())
    if (byName.length === 1 && byName[0]) return byName[0]
    throw new AppErrorException(
      appError(
        byName.length > 1 ? 'invalid_input' : 'not_found',
        byName.length > 1
          ? `More than one bridge is named "${ref}"; use its id.`
          : `No bridge with id or name "${ref}". Run "nodedeck bridge list" to see them.`,
      ),
    )
  }

  /** The name of the server an error is about, for the one-line message. */
  const serverName = (core: Core, e: AppError, fallback: string): string => {
    if (!e.serverId) return fallback
    try {
      return core.resolveServer(e.serverId).name
    } catch {
      return fallback
    }
  }

  bridge
    .command('run')
    .description(
      'run the bridge of (--from, --to, --node-id) headless: one line per report (--json: NDJSON status); the bridge and its journal are kept in the data dir, so a restart resumes where it stopped',
    )
    .requiredOption('--from <server>', 'the source: a Hysteria 2 or HY2 SCALE server (id or name)')
    .requiredOption('--to <server>', 'the panel: a Mu API v2 server (id or name)')
    .requiredOption('--node-id <n>', 'the node id in the panel', num)
    .option(
      '--rule <rule>',
      'how source user names find panel users: id | email | port (default id)',
    )
    .option('--interval <seconds>', 'seconds between reports, 10-3600 (default 60)', num)
    .option('--rate <rate>', RATE_HELP, num)
    .option(
      '--settle <seconds>',
      'seconds to wait after a report whose answer was lost before checking the panel (default 60)',
      num,
    )
    .option('--no-online', 'do not report the online count')
    .option(
      '--start-from <when>',
      'for a new bridge only: source_start = report everything the source counted since it started (default); now = take the first reading as a baseline and report only what is counted after it (the earlier traffic was reported by something else)',
    )
    .option(
      '--once',
      'one report (settling a lost answer first), then exit: 0, or 1 with the error',
    )
    .action(async (o: RunOpts) => {
      await kit.withCore(async (core, call) => {
        const from = core.resolveServer(o.from)
        const to = core.resolveServer(o.to)
        const rule = parseRule(o.rule)
        const list = await call('bridges.list', undefined)
        let view = list.find((b) => b.config.sourceId === from.id && b.config.panelId === to.id)
        if (view && view.config.nodeId !== o.nodeId) {
          throw new AppErrorException(
            appError(
              'invalid_input',
              `Bridge "${view.config.name}" already reports ${from.name} to ${to.name} as node ${view.config.nodeId}. Run it with --node-id ${view.config.nodeId}; a second bridge of the same pair would count every byte twice.`,
            ),
          )
        }
        if (!view) {
          const { id } = await kit.withName(from.name, () =>
            call('bridges.add', {
              draft: {
                sourceId: from.id,
                panelId: to.id,
                nodeId: o.nodeId,
                rule,
                intervalSec: o.interval,
                trafficRate: o.rate,
                settleSec: o.settle,
                reportOnline: o.online,
                startFrom: parseStartFrom(o.startFrom),
                // Run from here; the app runs it only once enabled there.
                enabled: false,
              },
            }),
          )
          view = findBridge(await call('bridges.list', undefined), id)
        } else {
          const patch: BridgePatch = {}
          const c = view.config
          if (rule !== undefined && rule !== c.rule) patch.rule = rule
          if (o.interval !== undefined && o.interval !== c.intervalSec)
            patch.intervalSec = o.interval
          if (o.rate !== undefined && o.rate !== c.trafficRate) patch.trafficRate = o.rate
          if (o.settle !== undefined && o.settle !== c.settleSec) patch.settleSec = o.settle
          if (o.online !== c.reportOnline) patch.reportOnline = o.online
          if (Object.keys(patch).length > 0) {
            view = await call('bridges.update', { id: c.id, patch })
          }
        }
        const config = view.config
        let prevBatch = view.status.lastReport?.batchId ?? null
        const onTick = (s: BridgeStatus) => {
          kit.stdout(kit.isJson() ? JSON.stringify(s) + '\n' : tickLine(config.name, s, prevBatch))
          prevBatch = s.lastReport?.batchId ?? prevBatch
        }
        const ac = new AbortController()
        void kit.waitForStop().then(() => ac.abort())
        const finish = (s: BridgeStatus, ticked: boolean) => {
          const failed = s.state === 'error' || s.state === 'needs_attention'
          if (!ticked) onTick(s)
          if (failed && s.error) {
            kit.stderr(`nodedeck: ${serverName(core, s.error, config.name)}: ${s.error.message}\n`)
            kit.setExitCode(1)
          }
        }
        if (o.once) {
          let ticked = false
          const s = await core.bridges.runOnce(config.id, {
            signal: ac.signal,
            onTick: (t) => {
              ticked = true
              onTick(t)
            },
          })
          finish(s, ticked)
          return
        }
        if (!kit.isJson()) {
          kit.stderr(`bridge "${config.name}" running (Ctrl+C to stop)\n`)
        }
        try {
          await core.bridges.run(config.id, { signal: ac.signal, onTick })
        } catch (err) {
          // The lock: another process runs it.
          throw new AppErrorException(
            err instanceof AppErrorException ? err.appError : appError('internal', String(err)),
          )
        }
      })
    })

  bridge
    .command('list')
    .description('the bridges with their state (the JSON shape of bridges.list)')
    .action(async () => {
      const list = await kit.withCore((_c, call) => call('bridges.list', undefined))
      kit.print(list, () =>
        table(
          ['ID', 'NAME', 'STATE', 'NODE', 'RULE', 'PENDING', 'UNMATCHED', 'LAST REPORT'],
          list.map((b) => [
            b.config.id,
            b.config.name,
            b.status.state,
            String(b.config.nodeId),
            b.config.rule,
            `${b.status.pending.users} (${formatBytes(b.status.pending.u + b.status.pending.d)})`,
            String(b.status.unmatched.length),
            b.status.lastReportAt === null ? '—' : new Date(b.status.lastReportAt).toISOString(),
          ]),
        ),
      )
    })

  bridge
    .command('preview')
    .description('what a rule makes of the users now (reads both servers, sends nothing)')
    .requiredOption('--from <server>', 'the source (id or name)')
    .requiredOption('--to <server>', 'the panel (id or name)')
    .requiredOption('--node-id <n>', 'the node id in the panel', num)
    .option('--rule <rule>', 'id | email | port (default id)')
    .action(async (o: { from: string; to: string; nodeId: number; rule?: string }) => {
      const p = await kit.withCore(async (core, call) => {
        const from = core.resolveServer(o.from)
        const to = core.resolveServer(o.to)
        return call('bridges.preview', {
          sourceId: from.id,
          panelId: to.id,
          nodeId: o.nodeId,
          rule: parseRule(o.rule) ?? 'id',
        })
      })
      kit.print(p, () => {
        let out = `${p.matched.length} of ${p.sourceUsers} source users match one of ${p.panelUsers} panel users (${p.panelList === 'node' ? "the node's list" : 'all users'})\n`
        if (p.matched.length > 0) {
          out += table(
            ['NAME', 'USER ID', 'EMAIL', 'PORT'],
            p.matched.map((m) => [
              m.name,
              String(m.userId),
              m.email ?? '—',
              m.port === null ? '—' : String(m.port),
            ]),
          )
        }
        if (p.unmatched.length > 0) out += `unmatched: ${p.unmatched.join(', ')}\n`
        for (const a of p.ambiguous) {
          out += `ambiguous: ${a.name} → users ${a.userIds.join(', ')} (not reported until only one matches)\n`
        }
        for (const d of p.duplicates) {
          out += `several names on user ${d.userId}: ${d.names.join(', ')} (their bytes add up)\n`
        }
        return out
      })
    })

  bridge
    .command('resolve')
    .argument('<bridge>', 'id or unique name')
    .argument('<decision>', 'applied (the panel counted the batch) | resend (it did not)')
    .description('decide about a batch in needs_attention')
    .action(async (ref: string, decision: string) => {
      if (decision !== 'applied' && decision !== 'resend') {
        throw new AppErrorException(
          appError('invalid_input', `Unknown decision "${decision}". Use applied or resend.`),
        )
      }
      const { name, status } = await kit.withCore(async (_c, call) => {
        const b = findBridge(await call('bridges.list', undefined), ref)
        return {
          name: b.config.name,
          status: await kit.withName(b.config.name, () =>
            call('bridges.resolve', { id: b.config.id, decision }),
          ),
        }
      })
      kit.print(status, () =>
        decision === 'applied'
          ? `${name}: the batch is acknowledged and will not be sent again\n`
          : `${name}: the batch will be sent again on the next report\n`,
      )
    })

  bridge
    .command('remove')
    .argument('<bridge>', 'id or unique name')
    .option(
      '--force',
      'also when its journal holds bytes not reported yet (they are then never reported)',
    )
    .description('remove a bridge (its journal is kept aside in the data dir)')
    .action(async (ref: string, o: { force?: boolean }) => {
      const b = await kit.withCore(async (_c, call) => {
        const b = findBridge(await call('bridges.list', undefined), ref)
        await kit.withName(b.config.name, () =>
          call('bridges.remove', { id: b.config.id, force: Boolean(o.force) }),
        )
        return b
      })
      kit.print({ ok: true, id: b.config.id }, () => `removed ${b.config.name} (${b.config.id})\n`)
    })
}

/** A plain left-aligned text table (as cli.ts's). */
