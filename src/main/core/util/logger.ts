import { redactUrl } from './redact'

export type LogLevel = 'debug' | 'info' | 'warn' | 'error'
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 }

/** A minimal structured logger. Callers pass facts, never secrets; URLs are redacted here too. */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void
  info(msg: string, fields?: Record<string, unknown>): void
  warn(msg: string, fields?: Record<string, unknown>): void
  error(msg: string, fields?: Record<string, unknown>): void
}

/** Writes one JSON line per entry to `write` (stderr by default). */
export function createLogger(
  opts: { level?: LogLevel; write?: (line: string) => void } = {},
): Logger {
  const min = ORDER[opts.level ?? 'info']
  const write = opts.write ?? ((line: string) => process.stderr.write(line + '\n'))
  const log = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (ORDER[level] < min) return
    const clean: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(fields ?? {})) {
      if (/secret|password|token|apikey|authorization/i.test(k)) continue
      clean[k] = k === 'url' && typeof v === 'string' ? redactUrl(v) : v
    }
    write(JSON.stringify({ t: new Date().toISOString(), level, msg, ...clean }))
  }
  return {
    debug: (m, f) => log('debug', m, f),
    info: (m, f) => log('info', m, f),
    warn: (m, f) => log('warn', m, f),
    error: (m, f) => log('error', m, f),
  }
}

/** A logger that drops everything (tests, CLI). */
export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
}
