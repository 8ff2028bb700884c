// Every date the client shows is formatted here, in the UI language and the user's chosen
// time zone (their profile's `time_zone`; the browser's until it is known).
import { currentLocale, intlLocale, t } from '@/i18n'

let timeZone: string | undefined
let timeFmt: Intl.DateTimeFormat
let fullFmt: Intl.DateTimeFormat
let dayFmt: Intl.DateTimeFormat
let dayYearFmt: Intl.DateTimeFormat
let keyFmt: Intl.DateTimeFormat
let relFmt: Intl.RelativeTimeFormat
let builtFor = ''

function build(): void {
  const zone = { timeZone }
  const loc = intlLocale()
  builtFor = currentLocale()
  // 'numeric' hours: "9:58 PM" where the locale says so, "09:58" where it pads.
  timeFmt = new Intl.DateTimeFormat(loc, { hour: 'numeric', minute: '2-digit', ...zone })
  fullFmt = new Intl.DateTimeFormat(loc, { dateStyle: 'full', timeStyle: 'short', ...zone })
  dayFmt = new Intl.DateTimeFormat(loc, { weekday: 'long', month: 'long', day: 'numeric', ...zone })
  dayYearFmt = new Intl.DateTimeFormat(loc, { year: 'numeric', month: 'long', day: 'numeric', ...zone })
  // en-CA writes dates as YYYY-MM-DD.
  keyFmt = new Intl.DateTimeFormat('en-CA', { year: 'numeric', month: '2-digit', day: '2-digit', ...zone })
  relFmt = new Intl.RelativeTimeFormat(loc, { numeric: 'auto', style: 'short' })
}
build()

/**
 * Reading the language here (a reactive ref) makes every render that formats a date
 * depend on it: switching the language re-renders dates in the new one.
 */
function fresh(): void {
  if (currentLocale() !== builtFor) build()
}

/** Format dates in `zone` (an IANA name) from now on; an unknown name keeps the browser's. */
export function setTimeZone(zone: string | undefined): void {
  try {
    new Intl.DateTimeFormat(undefined, { timeZone: zone })
    timeZone = zone
  } catch {
    timeZone = undefined
  }
  build()
}

export function formatTime(iso: string): string {
  fresh()
  return timeFmt.format(new Date(iso))
}

export function formatFull(iso: string): string {
  fresh()
  return fullFmt.format(new Date(iso))
}

/** Local calendar day key, e.g. "2025-03-09". */
export function dayKey(iso: string): string {
  return keyFmt.format(new Date(iso))
}

export function formatDay(iso: string, now: Date = new Date()): string {
  fresh()
  const d = new Date(iso)
  const today = dayKey(now.toISOString())
  const key = dayKey(iso)
  if (key === today) return t('time.today')
  if (key === dayKey(new Date(now.getTime() - 86_400_000).toISOString())) return t('time.yesterday')
  return key.slice(0, 4) === today.slice(0, 4) ? dayFmt.format(d) : dayYearFmt.format(d)
}

/** A date and time in the language and zone: "Mar 9, 2025, 14:05". */
export function formatDateTime(iso: string | number | Date, opts: Intl.DateTimeFormatOptions = { dateStyle: 'medium', timeStyle: 'short' }): string {
  return new Intl.DateTimeFormat(intlLocale(), { ...opts, timeZone }).format(new Date(iso))
}

/** A count in the language's digits and grouping. */
export function formatNumber(n: number, opts?: Intl.NumberFormatOptions): string {
  return new Intl.NumberFormat(intlLocale(), opts).format(n)
}

/** "just now", "5 min ago", "3 hr. ago", "2 days ago", in the UI language. */
export function formatAgo(iso: string | number | Date, now: number = Date.now()): string {
  fresh()
  const s = Math.max(0, Math.round((now - new Date(iso).getTime()) / 1000))
  if (s < 60) return t('time.justNow')
  if (s < 3600) return relFmt.format(-Math.floor(s / 60), 'minute')
  if (s < 86400) return relFmt.format(-Math.floor(s / 3600), 'hour')
  return relFmt.format(-Math.floor(s / 86400), 'day')
}

function zoneOffsetMs(at: number): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(at))
  const get = (type: string): number => Number(parts.find((p) => p.type === type)?.value ?? 0)
  const wall = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'))
  return wall - Math.floor(at / 1000) * 1000
}

/**
 * A wall-clock time in the user's zone ("2026-12-08T09:00", what `<input type="datetime-local">`
 * holds) as an instant. The picker shows the zone the rest of the client shows, not the browser's.
 */
export function wallToDate(wall: string): Date | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(wall)
  if (!m) return null
  const guess = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!)
  let at = guess - zoneOffsetMs(guess)
  const again = guess - zoneOffsetMs(at) // across a DST change the offset at the answer wins
  if (again !== at) at = again
  return new Date(at)
}

/** An instant as the user's wall-clock time, "YYYY-MM-DDTHH:MM" (for datetime-local inputs). */
export function dateToWall(at: Date): string {
  return new Date(at.getTime() + zoneOffsetMs(at.getTime())).toISOString().slice(0, 16)
}
