// Every date the client shows is formatted here, in the user's chosen time zone (their
// profile's `time_zone`; the browser's until it is known).
let timeZone: string | undefined
let timeFmt: Intl.DateTimeFormat
let fullFmt: Intl.DateTimeFormat
let dayFmt: Intl.DateTimeFormat
let dayYearFmt: Intl.DateTimeFormat
let keyFmt: Intl.DateTimeFormat

function build(): void {
  const zone = { timeZone }
  // 'numeric' hours: "9:58 PM" where the locale says so, "09:58" where it pads.
  timeFmt = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit', ...zone })
  fullFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'short', ...zone })
  dayFmt = new Intl.DateTimeFormat(undefined, { weekday: 'long', month: 'long', day: 'numeric', ...zone })
  dayYearFmt = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'long', day: 'numeric', ...zone })
  // en-CA writes dates as YYYY-MM-DD.
  keyFmt = new Intl.DateTimeFormat('en-CA', { year: 'numeric', month: '2-digit', day: '2-digit', ...zone })
}
build()

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

/** The IANA zones the browser knows, for the profile's picker. */
export function timeZones(): string[] {
  const supported = (Intl as { supportedValuesOf?: (key: string) => string[] }).supportedValuesOf
  const zones = supported ? supported('timeZone') : []
  return zones.includes('UTC') ? zones : ['UTC', ...zones]
}

export function formatTime(iso: string): string {
  return timeFmt.format(new Date(iso))
}

export function formatFull(iso: string): string {
  return fullFmt.format(new Date(iso))
}

/** Local calendar day key, e.g. "2025-03-09". */
export function dayKey(iso: string): string {
  return keyFmt.format(new Date(iso))
}

export function formatDay(iso: string, now: Date = new Date()): string {
  const d = new Date(iso)
  const today = dayKey(now.toISOString())
  const key = dayKey(iso)
  if (key === today) return 'Today'
  if (key === dayKey(new Date(now.getTime() - 86_400_000).toISOString())) return 'Yesterday'
  return key.slice(0, 4) === today.slice(0, 4) ? dayFmt.format(d) : dayYearFmt.format(d)
}
