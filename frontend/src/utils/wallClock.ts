/**
 * Moments named by a wall clock in a time zone ("the end of today", "tomorrow at 9:00" where
 * the person lives), for the status picker's presets. The zone is the account's IANA name;
 * an unknown one falls back to the browser's own zone.
 */

interface Wall {
  year: number
  month: number
  day: number
  hour: number
  minute: number
}

function wallOf(instant: number, zone: string | undefined): Wall {
  let fmt: Intl.DateTimeFormat
  try {
    fmt = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
    })
  } catch {
    fmt = new Intl.DateTimeFormat('en-US', { hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric' })
  }
  const parts: Record<string, number> = {}
  for (const p of fmt.formatToParts(new Date(instant))) if (p.type !== 'literal') parts[p.type] = Number(p.value)
  return { year: parts.year!, month: parts.month!, day: parts.day!, hour: parts.hour! % 24, minute: parts.minute! }
}

/** The instant when the zone's clock shows the given wall time (days may overflow: day + 1). */
export function atWallTime(zone: string | undefined, wall: Wall): Date {
  const asUtc = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute)
  let guess = asUtc
  // Two rounds settle the zone's offset at that moment (a DST change between now and then included).
  for (let i = 0; i < 2; i++) {
    const seen = wallOf(guess, zone)
    const seenUtc = Date.UTC(seen.year, seen.month - 1, seen.day, seen.hour, seen.minute)
    guess += asUtc - seenUtc
  }
  return new Date(guess)
}

/** The coming midnight where the person lives: "until the end of the day". */
export function endOfDay(zone: string | undefined, now: Date = new Date()): Date {
  const w = wallOf(now.getTime(), zone)
  return atWallTime(zone, { year: w.year, month: w.month, day: w.day + 1, hour: 0, minute: 0 })
}

/** Tomorrow at `hour`:00 where the person lives. */
export function tomorrowAt(zone: string | undefined, hour: number, now: Date = new Date()): Date {
  const w = wallOf(now.getTime(), zone)
  return atWallTime(zone, { year: w.year, month: w.month, day: w.day + 1, hour, minute: 0 })
}
