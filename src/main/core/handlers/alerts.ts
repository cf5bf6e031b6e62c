import { fail, type AlertSettings, type MethodName } from '../../../shared/contract'
import type { Handlers } from '../../../shared/rpc/dispatcher'
import type { Notifier } from '../notify/notifier'

type AlertMethods = Extract<MethodName, `alerts.${string}`>

export interface AlertHandlerContext {
  notifier: Notifier
  /** Tells every UI the settings changed (`alerts.settings.changed`). */
  announce(settings: AlertSettings): void
  /** Whether a server exists (muting an unknown id is refused). */
  hasServer(id: string): boolean
}

/** Saves settings; a disk failure becomes a `storage` error the UI can show. */
async function save(ctx: AlertHandlerContext, patch: Partial<AlertSettings>) {
  let next: AlertSettings
  try {
    next = await ctx.notifier.updateSettings(patch)
  } catch (err) {
    fail(
      'storage',
      `Could not save the alert settings (${(err as NodeJS.ErrnoException).code ?? 'error'}). Nothing was changed; check free disk space and permissions.`,
    )
  }
  ctx.announce(next)
  return next
}

/** The `alerts.*` handlers: the persisted history, mute and quiet hours. */
export function createAlertHandlers(ctx: AlertHandlerContext): Pick<Handlers, AlertMethods> {
  return {
    async 'alerts.history'(q) {
      return ctx.notifier.history.page(q)
    },
    async 'alerts.clear'() {
      ctx.notifier.history.clear()
      return { ok: true as const }
    },
    async 'alerts.settings.get'() {
      return ctx.notifier.settings
    },
    async 'alerts.settings.set'(patch) {
      const given = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined))
      return save(ctx, given)
    },
    async 'alerts.mute'({ serverId, muted }) {
      if (muted && !ctx.hasServer(serverId)) {
        fail(
          'not_found',
          `No server with id ${serverId}. It may have been removed; reload the list.`,
        )
      }
      const others = ctx.notifier.settings.mutedServerIds.filter((id) => id !== serverId)
      return save(ctx, { mutedServerIds: muted ? [...others, serverId] : others })
    },
  }
}
