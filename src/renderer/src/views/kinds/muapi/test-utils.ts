import type { MuNodeUserView, MuUserView } from '../../../../../shared/contract'

export { $, mountPg as mountMu, settle, setupFake, typeInto } from '../pasarguard/test-utils'

const GiB = 1024 ** 3

/** A panel user for tests: 10 GiB quota, 1 GiB used, used an hour ago. */
export function muUser(over: Partial<MuUserView> = {}): MuUserView {
  const id = over.id ?? 1
  return {
    id,
    userName: `user${id}`,
    email: `user${id}@example.com`,
    up: 256 * 1024 ** 2,
    down: 768 * 1024 ** 2,
    quota: 10 * GiB,
    lastUsedAt: Date.now() - 3_600_000,
    enabled: true,
    port: 20000 + id,
    method: 'aes-256-gcm',
    ...over,
  }
}

/** A node user for tests. */
export function muNodeUser(over: Partial<MuNodeUserView> = {}): MuNodeUserView {
  const id = over.id ?? 1
  return {
    ...muUser(over),
    v2ray: {
      uuid: `6f1c2b3a-4d5e-4f60-8a7b-${String(id).padStart(12, '0')}`,
      email: null,
      alterId: 2,
      level: 2,
    },
    ...over,
  }
}

/** The six users of a typical panel: ok, near, over, no quota, never used, disabled. */
export function sixUsers(): MuUserView[] {
  return [
    muUser({ id: 1, email: 'ann@example.com', userName: 'ann' }),
    muUser({ id: 2, email: 'bo@example.com', userName: 'bo', up: 2 * GiB, down: 6.5 * GiB }),
    muUser({ id: 3, email: 'cy@example.com', userName: 'cy', up: 3 * GiB, down: 9 * GiB }),
    muUser({ id: 4, email: null, userName: 'dee', quota: 0, up: 0, down: 5 * 1024 ** 2 }),
    muUser({ id: 5, email: null, userName: null, up: 0, down: 0, lastUsedAt: null, port: 443 }),
    muUser({
      id: 6,
      email: 'eve@example.com',
      userName: 'eve',
      enabled: false,
      lastUsedAt: Date.now() - 3 * 86_400_000,
    }),
  ]
}
