import type { CredentialStore } from './credential-store'
import { AppErrorException, appError, fail } from '../../../shared/contract/errors'
import type { AppError } from '../../../shared/contract/errors'
import { redactSecrets } from '../util/redact'

/** The part of keytar 7.9 the store uses; tests inject a double with this shape. */
export interface KeytarLike {
  getPassword(service: string, account: string): Promise<string | null>
  setPassword(service: string, account: string, password: string): Promise<void>
  deletePassword(service: string, account: string): Promise<boolean>
  findCredentials(service: string): Promise<Array<{ account: string; password: string }>>
}

/** Options of {@link createKeychainStore}. */
export interface KeychainStoreOptions {
  /** The keychain service name all secrets are filed under. Default `NodeDeck`. */
  service?: string
  /** A keytar implementation to use instead of loading the real module (tests). */
  keytar?: KeytarLike
  /** Loads keytar on first use when `keytar` is not given. Default: `import('keytar')`. */
  loadKeytar?: () => Promise<unknown>
  /** Selects the description and the Secret Service workaround. Default `process.platform`. */
  platform?: NodeJS.Platform
  /** How long `check()` waits for the keychain before reporting a failure. Default 15 s. */
  checkTimeoutMs?: number
}

/** Why a keychain operation failed; also sent as `params.reason` of the AppError. */
export type KeychainFailureReason =
  | 'no_bus'
  | 'no_provider'
  | 'no_collection'
  | 'locked'
  | 'denied'
  | 'timeout'
  | 'other'
  | 'load_libsecret'
  | 'load_missing'
  | 'load_failed'

/** Separates server id and key in account names; neither may contain it. */
const SEP = ':'

/**
 * The account `check()` reads and the Linux lock probe writes. It starts with the separator, so
 * no `${serverId}:` prefix (server ids are non-empty) can ever match it.
 */
const PROBE_ACCOUNT = `${SEP}nodedeck-probe`

const NOWHERE_ELSE = 'NodeDeck stores secrets nowhere else.'

const REASON_TEXT: Record<
  Exclude<KeychainFailureReason, 'other' | 'timeout' | 'load_failed'>,
  string
> = {
  no_bus:
    'The OS keychain is not reachable: no D-Bus session bus is running (DBUS_SESSION_BUS_ADDRESS ' +
    'is unset or points to a bus that is gone), so no Secret Service can be reached. Log in to a ' +
    "desktop session, or start NodeDeck under dbus-run-session with gnome-keyring or KeePassXC's " +
    `Secret Service running, then try again. ${NOWHERE_ELSE}`,
  no_provider:
    'The OS keychain is not reachable: no Secret Service is running. Start gnome-keyring or ' +
    "KeePassXC's Secret Service, or log in to a desktop session, then try again. " +
    NOWHERE_ELSE,
  no_collection:
    'The OS keychain has no default keyring and could not create one (the prompt to create it ' +
    'could not be shown). Create and unlock a default keyring, for example in Seahorse ' +
    '("Passwords and Keys") or with gnome-keyring-daemon --unlock, then try again.',
  locked:
    'The OS keychain is locked and could not be unlocked (the unlock prompt was dismissed or ' +
    'could not be shown). Unlock your default keyring, for example in Seahorse ("Passwords and ' +
    'Keys") or by logging in to a desktop session, then try again.',
  denied:
    'Access to the OS keychain was denied or cancelled. Allow NodeDeck to use the keychain when ' +
    'your system asks, then try again.',
  load_libsecret:
    'The OS keychain cannot be used: the libsecret library is not installed. Install it ' +
    '(Debian/Ubuntu: sudo apt-get install libsecret-1-0; Fedora: sudo dnf install libsecret; ' +
    `Arch: sudo pacman -S libsecret), then restart NodeDeck. ${NOWHERE_ELSE}`,
  load_missing:
    "The OS keychain cannot be used: NodeDeck's keychain module (keytar) is missing or was not " +
    'built. Reinstall NodeDeck (from source: install libsecret-1-dev, then run npm rebuild ' +
    `keytar), then restart it. ${NOWHERE_ELSE}`,
}

/**
 * Maps a keychain error text to a reason. The patterns match what libsecret/GIO return through
 * keytar on Linux (see the report in tests/keychain) plus the usual macOS refusals.
 */
function classify(detail: string): KeychainFailureReason {
  if (/autolaunch D-Bus|Could not connect|DBUS_SESSION_BUS_ADDRESS|dbus-launch/i.test(detail)) {
    return 'no_bus'
  }
  if (
    /org\.freedesktop\.secrets|ServiceUnknown|not provided by any \.service files/i.test(detail)
  ) {
    return 'no_provider'
  }
  if (/(Object does not exist|No such object).*collection|no default collection/i.test(detail)) {
    return 'no_collection'
  }
  if (/User canceled|User interaction is not allowed|denied|not permitted/i.test(detail)) {
    return 'denied'
  }
  if (/locked|unlock|dismissed|cancell?ed/i.test(detail)) return 'locked'
  return 'other'
}

function errorText(err: unknown): string {
  if (err instanceof Error) return err.message
  if (typeof err === 'string') return err
  return 'unknown error'
}

function errorCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null || !('code' in err)) return undefined
  const code: unknown = err.code
  return typeof code === 'string' ? code : undefined
}

/** Keychain text safe to quote: the given secrets masked, one line, bounded. */
function cleanDetail(text: string, secrets: ReadonlyArray<string>): string {
  const oneLine = redactSecrets(text, secrets).replace(/\s+/g, ' ').trim()
  return oneLine.length > 300 ? `${oneLine.slice(0, 297)}...` : oneLine
}

function describePlatform(platform: NodeJS.Platform): string {
  if (platform === 'linux') return 'OS keychain (Secret Service)'
  if (platform === 'darwin') return 'macOS Keychain'
  if (platform === 'win32') return 'Windows Credential Manager'
  return 'OS keychain'
}

function isKeytarLike(value: unknown): value is KeytarLike {
  if (typeof value !== 'object' || value === null) return false
  const v = value as Record<string, unknown>
  return (
    typeof v['getPassword'] === 'function' &&
    typeof v['setPassword'] === 'function' &&
    typeof v['deletePassword'] === 'function' &&
    typeof v['findCredentials'] === 'function'
  )
}

/**
 * Accepts the CommonJS export or an ESM namespace whose `default` is that export (Node detects
 * only `getPassword` as a named export of keytar, so the namespace alone is not enough).
 */
function pickKeytar(mod: unknown): KeytarLike | null {
  if (typeof mod === 'object' && mod !== null && 'default' in mod && isKeytarLike(mod.default)) {
    return mod.default
  }
  return isKeytarLike(mod) ? mod : null
}

function checkName(what: 'server id' | 'key', value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 256) {
    fail(
      'invalid_input',
      `A keychain ${what} must be a non-empty string of at most 256 characters.`,
    )
  }
  if (value.includes(SEP) || value.includes('\u0000')) {
    fail('invalid_input', `A keychain ${what} must not contain "${SEP}" or NUL characters.`)
  }
  return value
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

function checkValue(value: unknown, serverId: string): string {
  if (typeof value !== 'string') fail('invalid_input', 'A secret must be a string.', { serverId })
  if (value.length === 0) {
    fail('invalid_input', 'A secret cannot be empty; delete it instead.', { serverId })
  }
  // keytar passes C strings (a NUL would silently cut the secret short) in UTF-8 (a lone
  // surrogate would silently become U+FFFD): refuse rather than store something else.
  if (value.includes('\u0000') || LONE_SURROGATE.test(value)) {
    fail('invalid_input', 'A secret must not contain NUL characters or broken Unicode.', {
      serverId,
    })
  }
  return value
}

type Operation = 'read' | 'save' | 'delete' | 'delete all' | 'check'

interface Ctx {
  op: Operation
  serverId?: string
  key?: string
  /** Texts that must never appear in an error (the value being saved, values just read). */
  secrets: string[]
}

function contextSentence(ctx: Ctx): string {
  if (ctx.op === 'check') return ''
  const verb = ctx.op === 'read' ? 'read' : ctx.op === 'save' ? 'save' : 'delete'
  const what = ctx.key === undefined ? 'the secrets' : `the secret "${ctx.key}"`
  const of = ctx.serverId === undefined ? '' : ` of server "${ctx.serverId}"`
  return `Could not ${verb} ${what}${of}. `
}

/**
 * A {@link CredentialStore} over the OS keychain through keytar 7.9 (Secret Service on Linux,
 * Keychain on macOS, Credential Manager on Windows).
 *
 * - keytar is loaded on first use, so importing the core never loads the native module; a
 *   failed load (module not built, libsecret missing) is AppError `keychain` and is retried on
 *   the next call.
 * - Accounts are `${serverId}:${key}` under one service (default `NodeDeck`). Server ids and keys
 *   may not contain `:`, so `deleteAll('a')` can never touch the secrets of `ab` or `a:b`.
 * - Calls run one at a time (no interleaved writes, at most one unlock prompt at once).
 * - Every keychain failure becomes AppError `keychain` with a message saying what to do and
 *   `params.reason`; no message or param ever contains a secret. Bad arguments are
 *   `invalid_input`.
 */
export function createKeychainStore(opts: KeychainStoreOptions = {}): CredentialStore {
  const service = opts.service ?? 'NodeDeck'
  if (service.length === 0) fail('invalid_input', 'The keychain service name cannot be empty.')
  const platform = opts.platform ?? process.platform
  const description = describePlatform(platform)
  const checkTimeoutMs = opts.checkTimeoutMs ?? 15_000
  const load = opts.loadKeytar ?? (() => import('keytar'))

  const keychainError = (
    reason: KeychainFailureReason,
    ctx: Ctx,
    detail?: string,
  ): AppErrorException => {
    const params: NonNullable<AppError['params']> = { reason, operation: ctx.op }
    if (ctx.key !== undefined) params['key'] = ctx.key
    if (detail !== undefined) params['detail'] = detail
    let text: string
    if (reason === 'other') {
      text =
        `The ${description} reported an error: ${detail ?? 'unknown error'}. Check that it is ` +
        'running and unlocked, then try again.'
    } else if (reason === 'timeout') {
      text =
        `The ${description} did not answer within ${Math.ceil(checkTimeoutMs / 1000)} s. Check ` +
        'that it is running and not waiting for an unlock prompt, then try again.'
    } else if (reason === 'load_failed') {
      text =
        "The OS keychain cannot be used: NodeDeck's keychain module (keytar) failed to load " +
        `(${detail ?? 'unknown error'}). Reinstall NodeDeck, then restart it. ${NOWHERE_ELSE}`
    } else {
      text = REASON_TEXT[reason]
    }
    const extra: { serverId?: string; params: NonNullable<AppError['params']> } = { params }
    if (ctx.serverId !== undefined) extra.serverId = ctx.serverId
    return new AppErrorException(appError('keychain', contextSentence(ctx) + text, extra))
  }

  let loaded: Promise<KeytarLike> | null = opts.keytar ? Promise.resolve(opts.keytar) : null

  const getKeytar = (ctx: Ctx): Promise<KeytarLike> => {
    if (loaded) return loaded
    const attempt = (async (): Promise<KeytarLike> => {
      let mod: unknown
      try {
        mod = await load()
      } catch (err) {
        const detail = cleanDetail(errorText(err), [])
        const code = errorCode(err)
        if (/libsecret/i.test(detail)) throw keychainError('load_libsecret', ctx, detail)
        if (code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND') {
          throw keychainError('load_missing', ctx, detail)
        }
        throw keychainError('load_failed', ctx, detail)
      }
      const kt = pickKeytar(mod)
      if (!kt) throw keychainError('load_failed', ctx, 'the module has an unexpected shape')
      return kt
    })()
    loaded = attempt
    // Retry a failed load next time: the user may have installed libsecret meanwhile.
    attempt.catch(() => {
      if (loaded === attempt) loaded = null
    })
    return attempt
  }

  /** Runs one keychain call and turns whatever it throws into AppError `keychain`. */
  const call = async <T>(ctx: Ctx, fn: (kt: KeytarLike) => Promise<T>): Promise<T> => {
    const kt = await getKeytar(ctx)
    try {
      return await fn(kt)
    } catch (err) {
      if (err instanceof AppErrorException) throw err
      // Classify the raw text: masking a short secret could break the patterns.
      const text = errorText(err)
      throw keychainError(classify(text), ctx, cleanDetail(text, ctx.secrets))
    }
  }

  let tail: Promise<unknown> = Promise.resolve()
  const serialized = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = tail.then(fn, fn)
    tail = run.catch(() => undefined)
    return run
  }

  /**
   * keytar 7.9's findCredentials crashes the whole process (SIGSEGV) when a matching item is
   * locked and unlocking fails: it reads the missing secret of the locked item. Storing a probe
   * entry first fails cleanly instead ("Cannot create an item in a locked collection") and on a
   * desktop shows the same unlock prompt findCredentials would.
   */
  const ensureUnlocked = async (ctx: Ctx): Promise<void> => {
    if (platform !== 'linux') return
    await call(ctx, (kt) => kt.setPassword(service, PROBE_ACCOUNT, 'probe'))
    await call(ctx, (kt) => kt.deletePassword(service, PROBE_ACCOUNT))
  }

  return {
    description,

    async get(serverId, key) {
      const id = checkName('server id', serverId)
      const k = checkName('key', key)
      const ctx: Ctx = { op: 'read', serverId: id, key: k, secrets: [] }
      const value = await serialized(() =>
        call(ctx, (kt) => kt.getPassword(service, `${id}${SEP}${k}`)),
      )
      return typeof value === 'string' ? value : null
    },

    async getAll() {
      const ctx: Ctx = { op: 'read', secrets: [] }
      return serialized(async () => {
        await ensureUnlocked(ctx)
        const found: unknown = await call(ctx, (kt) => kt.findCredentials(service))
        const all = new Map<string, Map<string, string>>()
        for (const c of Array.isArray(found) ? (found as unknown[]) : []) {
          if (typeof c !== 'object' || c === null) continue
          const { account, password } = c as { account?: unknown; password?: unknown }
          if (typeof account !== 'string' || typeof password !== 'string') continue
          // `${serverId}:${key}`; the probe account starts with the separator and is skipped.
          const at = account.indexOf(SEP)
          if (at <= 0) continue
          const id = account.slice(0, at)
          let keys = all.get(id)
          if (!keys) all.set(id, (keys = new Map()))
          keys.set(account.slice(at + SEP.length), password)
        }
        return all
      })
    },

    async set(serverId, key, value) {
      const id = checkName('server id', serverId)
      const k = checkName('key', key)
      const v = checkValue(value, id)
      const ctx: Ctx = { op: 'save', serverId: id, key: k, secrets: [v] }
      await serialized(() => call(ctx, (kt) => kt.setPassword(service, `${id}${SEP}${k}`, v)))
    },

    async delete(serverId, key) {
      const id = checkName('server id', serverId)
      const k = checkName('key', key)
      const ctx: Ctx = { op: 'delete', serverId: id, key: k, secrets: [] }
      const deleted = await serialized(() =>
        call(ctx, (kt) => kt.deletePassword(service, `${id}${SEP}${k}`)),
      )
      return deleted === true
    },

    async deleteAll(serverId) {
      const id = checkName('server id', serverId)
      const ctx: Ctx = { op: 'delete all', serverId: id, secrets: [] }
      const prefix = `${id}${SEP}`
      return serialized(async () => {
        await ensureUnlocked(ctx)
        const found: unknown = await call(ctx, (kt) => kt.findCredentials(service))
        const accounts = new Set<string>()
        for (const c of Array.isArray(found) ? (found as unknown[]) : []) {
          if (typeof c !== 'object' || c === null) continue
          const { account, password } = c as { account?: unknown; password?: unknown }
          if (typeof password === 'string' && password.length > 0) ctx.secrets.push(password)
          if (typeof account === 'string' && account.startsWith(prefix)) accounts.add(account)
        }
        let count = 0
        try {
          for (const account of accounts) {
            if ((await call(ctx, (kt) => kt.deletePassword(service, account))) === true) count++
          }
        } finally {
          ctx.secrets.length = 0
        }
        return count
      })
    },

    async check() {
      const ctx: Ctx = { op: 'check', secrets: [] }
      let timer: NodeJS.Timeout | undefined
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(keychainError('timeout', ctx)), checkTimeoutMs)
      })
      const probe = call(ctx, (kt) => kt.getPassword(service, PROBE_ACCOUNT))
      probe.catch(() => undefined)
      try {
        await Promise.race([probe, timeout])
        return { ok: true as const }
      } catch (err) {
        const message =
          err instanceof AppErrorException
            ? err.appError.message
            : `The ${description} could not be checked. Try again.`
        return { ok: false as const, message }
      } finally {
        clearTimeout(timer)
      }
    },
  }
}
