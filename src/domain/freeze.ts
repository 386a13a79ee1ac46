import { type FreezeWindow, weekdayIndex } from './policy-config.js'

const hhmm = (minutes: number) => `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`

/** Whether `now` (epoch ms) falls inside the window. Absolute windows are [start, end). */
export function inFreeze(w: FreezeWindow, now: number): boolean {
  if ('start' in w) return now >= w.start && now < w.end
  const date = new Date(now)
  const day = date.getUTCDay()
  const minute = date.getUTCHours() * 60 + date.getUTCMinutes()
  const days = new Set(w.weekly.days.map(weekdayIndex))
  const { from, to } = w.weekly
  if (from < to) return days.has(day) && minute >= from && minute < to
  // Runs past midnight (to ≤ from, so 00:00-00:00 is a whole day): the evening of a
  // listed day, or the early hours of the day after one.
  return (days.has(day) && minute >= from) || (days.has((day + 6) % 7) && minute < to)
}

/** The windows in force at `now`, in file order. */
export function activeFreezes(windows: ReadonlyArray<FreezeWindow>, now: number): FreezeWindow[] {
  return windows.filter((w) => inFreeze(w, now))
}

/** "black-friday (2026-11-27T00:00:00.000Z to 2026-11-30T00:00:00.000Z)" or "weekend (weekly sat,sun 00:00-24:00 UTC)". */
export function describeFreeze(w: FreezeWindow): string {
  if ('start' in w) return `${w.name} (${new Date(w.start).toISOString()} to ${new Date(w.end).toISOString()})`
  return `${w.name} (weekly ${w.weekly.days.join(',')} ${hhmm(w.weekly.from)}-${hhmm(w.weekly.to)} UTC)`
}
