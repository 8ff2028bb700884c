/** Mute lengths offered to owners and staff, and the words for a mute and a report's age. */
import { t } from '@/i18n'
import { formatAgo, formatDateTime } from '@/utils/time'

export interface MuteChoice {
  key: string
  /** In the menu (a catalogue key). */
  menu: string
  /** After "muted": "for 10 minutes", "until you lift it" (a catalogue key). */
  label: string
  seconds: number | null
}

export const MUTE_CHOICES: readonly MuteChoice[] = [
  { key: '10m', menu: 'mute.menu10m', label: 'mute.label10m', seconds: 600 },
  { key: '1h', menu: 'mute.menu1h', label: 'mute.label1h', seconds: 3600 },
  { key: '1d', menu: 'mute.menu1d', label: 'mute.label1d', seconds: 86400 },
  { key: 'forever', menu: 'mute.menuForever', label: 'mute.labelForever', seconds: null },
]

/** "You are muted in this room until 30 Nov 2026, 14:05." or "… until an owner lifts it." */
export function mutedSentence(until: string | null | undefined): string {
  if (!until) return t('mute.sentenceForever')
  return t('mute.sentenceUntil', { date: formatDateTime(until) })
}

/** Milliseconds until a mute ends (0 when it has), or null for one without an end. */
export function muteLeft(until: string | null | undefined, now: number = Date.now()): number | null {
  if (!until) return null
  return Math.max(0, Date.parse(until) - now)
}

/** "just now", "5 min. ago", "3 hr. ago", "yesterday", in the UI language. */
export function age(iso: string, now: number = Date.now()): string {
  return formatAgo(iso, now)
}

export const REPORT_CATEGORIES = [
  { value: 'spam', label: 'report.cat.spam' },
  { value: 'abuse', label: 'report.cat.abuse' },
  { value: 'harassment', label: 'report.cat.harassment' },
  { value: 'illegal', label: 'report.cat.illegal' },
  { value: 'other', label: 'report.cat.other' },
] as const

export function categoryLabel(value: string): string {
  const key = REPORT_CATEGORIES.find((c) => c.value === value)?.label
  return key ? t(key) : value
}
