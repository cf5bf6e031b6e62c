import { fail } from '../../../shared/contract'
import type { ServerKind } from '../../../shared/kinds'
import type { KindModule } from './adapter'
import { hy2scaleKind } from './hy2scale/adapter'
import { hysteria2Kind } from './hysteria2/adapter'
import { muapiKind } from './muapi/adapter'
import { pasarguardKind } from './pasarguard/adapter'
import { wgmonKind } from './wgmon/adapter'

/** kind → module: the only switch on kind in the core (design.md 2.2). */
const KINDS: Record<ServerKind, KindModule> = {
  hysteria2: hysteria2Kind,
  hy2scale: hy2scaleKind,
  pasarguard: pasarguardKind,
  muapi: muapiKind,
  wgmon: wgmonKind,
}

/** The module of a kind; `unsupported` for a kind this build does not know. */
export function kindModule(kind: string): KindModule {
  const mod = (KINDS as Record<string, KindModule | undefined>)[kind]
  if (!mod)
    fail('unsupported', `This version of NodeDeck does not support servers of kind "${kind}".`)
  return mod
}
