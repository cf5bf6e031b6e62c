/**
 * A deterministic demo driver for the WireGuard monitor emulator: N users created like the admin
 * would (POST /api/users path, with client IPs), devices that come online and go offline now and
 * then, and traffic moving on the online peers every tick (server view: rx = client upload,
 * tx = client download; downloads dominate). The monitor poll runs on its own timer.
 */
import { createPrng } from '../../src/shared/prng'

/** The shared seeded PRNG (re-exported: other emulator modules import it from here). */
export { createPrng }

const NAMES = [
  'alice',
  'bob',
  'carol',
  'dave',
  'erin',
  'frank',
  'grace',
  'heidi',
  'ivan',
  'judy',
  'mallory',
  'niaj',
  'olivia',
  'peggy',
  'rupert',
  'sybil',
]

/** A deterministic WireGuard public key (44 chars of base64 of 32 bytes) from a PRNG. */
export function fakePubkey(rand: () => number): string {
  const bytes = Buffer.alloc(32)
  for (let i = 0; i < 32; i++) bytes[i] = Math.floor(rand() * 256)
  return bytes.toString('base64')
}

/** What the simulation drives. */
export interface WgMonSimTarget {
  createUser(fields: { peer_pubkey: string; nickname: string; mail: string }): number
  setOnline(name: string, online: boolean): boolean
  addTraffic(name: string, rx: number, tx: number): boolean
}

export interface WgMonSimulation {
  readonly users: readonly string[]
  step(): void
  stop(): void
}

export function startSimulation(
  target: WgMonSimTarget,
  o: { users: number; seed?: number; tickMs?: number },
): WgMonSimulation {
  const rand = createPrng(o.seed ?? 1)
  const users: string[] = []
  const online = new Map<string, boolean>()
  for (let i = 0; i < o.users; i++) {
    const name = i < NAMES.length ? NAMES[i]! : `user${String(i + 1).padStart(2, '0')}`
    target.createUser({
      peer_pubkey: fakePubkey(rand),
      nickname: name,
      mail: `${name}@example.com`,
    })
    users.push(name)
    const on = rand() < 0.6
    online.set(name, on)
    if (on) target.setOnline(name, true)
  }
  const step = (): void => {
    for (const name of users) {
      let on = online.get(name) ?? false
      if (rand() < 0.03) {
        on = !on
        online.set(name, on)
        target.setOnline(name, on)
      }
      if (!on) continue
      const down = Math.floor(rand() * 400_000 * (1 + (users.indexOf(name) % 4)))
      const up = Math.floor(down * (0.05 + rand() * 0.2))
      target.addTraffic(name, up, down)
    }
  }
  const timer = setInterval(step, o.tickMs ?? 1000)
  timer.unref()
  return { users, step, stop: () => clearInterval(timer) }
}
