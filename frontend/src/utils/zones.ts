/**
 * The profile's time-zone picker, built from the server's list (`GET time-zones`: each
 * zone once, with its region, city and ISO country) rather than the browser's own list,
 * which differs by engine, holds legacy ids and is not what the server validates.
 */
import { intlLocale } from '@/i18n'

export interface ZoneInfo {
  id: string
  region: string
  city: string
  country: string
}

export interface ZoneGroup {
  region: string
  options: { id: string; label: string }[]
}

/** The zone this browser runs in (an IANA name), or undefined where the engine gives none. */
export function browserTimeZone(): string | undefined {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || undefined
  } catch {
    return undefined
  }
}

function countryName(names: Intl.DisplayNames | null, code: string): string {
  if (!code || !names) return ''
  try {
    return names.of(code) ?? ''
  } catch {
    return ''
  }
}

/** A zone the list does not hold (a saved legacy or unusual name) as the list would give it. */
function infoOf(id: string): ZoneInfo {
  const parts = id.split('/')
  return { id, region: parts.length > 1 ? (parts[0] ?? id) : id, city: (parts[parts.length - 1] ?? id).replace(/_/g, ' '), country: '' }
}

/**
 * Zones grouped by region (UTC first, then the regions in the list's order), each labelled
 * "City · Country" with the country named in the UI language, each zone once; `keep` (the
 * saved zone) is added when the list lacks it, so the picker never shows another one.
 */
export function zoneGroups(zones: ZoneInfo[], keep?: string): ZoneGroup[] {
  const loc = intlLocale()
  let names: Intl.DisplayNames | null
  try {
    names = new Intl.DisplayNames([loc], { type: 'region' })
  } catch {
    names = null
  }
  const seen = new Set<string>()
  const groups = new Map<string, { id: string; label: string }[]>()
  const all = keep && !zones.some((z) => z.id === keep) ? [...zones, infoOf(keep)] : zones
  for (const z of all) {
    if (seen.has(z.id)) continue
    seen.add(z.id)
    const country = countryName(names, z.country)
    const label = country && country !== z.city ? `${z.city} · ${country}` : z.city
    const list = groups.get(z.region) ?? []
    list.push({ id: z.id, label })
    groups.set(z.region, list)
  }
  const collator = new Intl.Collator(loc)
  const regions = [...groups.keys()].sort((a, b) => (a === 'UTC' ? -1 : b === 'UTC' ? 1 : collator.compare(a, b)))
  return regions.map((region) => ({
    region,
    options: (groups.get(region) ?? []).sort((a, b) => collator.compare(a.label, b.label)),
  }))
}

const JANUARY = new Date(Date.UTC(2026, 0, 15, 12))
const JULY = new Date(Date.UTC(2026, 6, 15, 12))

function offsets(zone: string): string | null {
  try {
    const fmt = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' })
    const part = (d: Date) => fmt.formatToParts(d).find((p) => p.type === 'timeZoneName')?.value ?? ''
    return `${part(JANUARY)}|${part(JULY)}`
  } catch {
    return null
  }
}

/**
 * Whether two zone names keep the same clock all year (the same offsets in January and in
 * July): a legacy alias and its zone (`Asia/Calcutta`, `Asia/Kolkata`) are one, so the
 * offer to switch is made only when the times shown would really change.
 */
export function sameClock(a: string, b: string): boolean {
  if (a === b) return true
  const oa = offsets(a)
  return oa !== null && oa === offsets(b)
}
