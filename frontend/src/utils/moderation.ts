/** Mute lengths offered to owners and staff, and the words for a mute and a report's age. */

export interface MuteChoice {
  key: string
  /** In the menu. */
  menu: string
  /** After "muted": "for 10 minutes", "until you lift it". */
  label: string
  seconds: number | null
}

export const MUTE_CHOICES: readonly MuteChoice[] = [
  { key: '10m', menu: 'For 10 minutes', label: 'for 10 minutes', seconds: 600 },
  { key: '1h', menu: 'For 1 hour', label: 'for 1 hour', seconds: 3600 },
  { key: '1d', menu: 'For 1 day', label: 'for 1 day', seconds: 86400 },
  { key: 'forever', menu: 'Until lifted', label: 'until the mute is lifted', seconds: null },
]

const untilFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' })

/** "You are muted in this room until 30 Nov 2026, 14:05." or "… until an owner lifts it." */
export function mutedSentence(until: string | null | undefined): string {
  if (!until) return 'You are muted in this room until the owner or staff lift it. You can still read.'
  return `You are muted in this room until ${untilFmt.format(new Date(until))}. You can still read.`
}

/** Milliseconds until a mute ends (0 when it has), or null for one without an end. */
export function muteLeft(until: string | null | undefined, now: number = Date.now()): number | null {
  if (!until) return null
  return Math.max(0, Date.parse(until) - now)
}

/** "just now", "5 min ago", "3 h ago", "2 days ago". */
export function age(iso: string, now: number = Date.now()): string {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000))
  if (s < 60) return 'just now'
  if (s < 3600) return `${Math.floor(s / 60)} min ago`
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`
  const d = Math.floor(s / 86400)
  return `${d} day${d === 1 ? '' : 's'} ago`
}

export const REPORT_CATEGORIES = [
  { value: 'spam', label: 'Spam or advertising' },
  { value: 'abuse', label: 'Abusive or hateful' },
  { value: 'harassment', label: 'Harassing someone' },
  { value: 'illegal', label: 'Illegal content' },
  { value: 'other', label: 'Something else' },
] as const

export function categoryLabel(value: string): string {
  return REPORT_CATEGORIES.find((c) => c.value === value)?.label ?? value
}
