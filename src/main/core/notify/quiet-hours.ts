import type { QuietHours } from '../../../shared/contract'

/** Minutes since local midnight of an `HH:MM` string. */
function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(':')
  return Number(h) * 60 + Number(m)
}

/**
 * Whether `at` (local time) falls in the quiet hours. A period starts at `start` on each of
 * `days` (empty = every day) and runs to the next `end`: the same day when `end` > `start`,
 * else past midnight into the next day (22:00 → 07:00 on Friday covers Saturday 03:00).
 * `start` = `end` means the whole day.
 */
export function isQuietAt(at: Date, q: QuietHours): boolean {
  if (!q.enabled) return false
  const start = minutesOf(q.start)
  const end = minutesOf(q.end)
  const minute = at.getHours() * 60 + at.getMinutes()
  const day = at.getDay()
  const onDay = (d: number) => q.days.length === 0 || q.days.includes(d)
  if (start < end) return onDay(day) && minute >= start && minute < end
  // Crosses midnight (or a whole day when start = end): the evening part belongs to today's
  // period, the morning part to yesterday's.
  if (minute >= start) return onDay(day)
  return minute < end && onDay((day + 6) % 7)
}
