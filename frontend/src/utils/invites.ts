import { t } from '@/i18n'

/**
 * The choices of the invite dialog, in the units the API takes (seconds, uses; null = no
 * limit). `label` is a catalogue key, `n` its count.
 */
export const EXPIRY_CHOICES: ReadonlyArray<{ label: string; n?: number; seconds: number | null }> = [
  { label: 'invites.never', seconds: null },
  { label: 'invites.hours', n: 1, seconds: 3600 },
  { label: 'invites.days', n: 1, seconds: 86_400 },
  { label: 'invites.days', n: 7, seconds: 7 * 86_400 },
]

export const USE_CHOICES: ReadonlyArray<{ label: string; n?: number; uses: number | null }> = [
  { label: 'invites.unlimited', uses: null },
  { label: 'invites.usesChoice', n: 1, uses: 1 },
  { label: 'invites.usesChoice', n: 5, uses: 5 },
  { label: 'invites.usesChoice', n: 25, uses: 25 },
]

/** A choice's words in the UI language. */
export function choiceLabel(c: { label: string; n?: number }): string {
  return c.n === undefined ? t(c.label) : t(c.label, { n: c.n }, c.n)
}

/** How a link's limits read in a list: "2 of 5 uses · expires …" */
export function inviteSummary(
  invite: { uses: number; max_uses: number | null; expires_at: string | null; state: string },
  formatDate: (iso: string) => string,
): string {
  const uses =
    invite.max_uses === null
      ? t('invites.used', { n: invite.uses })
      : t('invites.usesOf', { n: invite.uses, max: invite.max_uses })
  if (invite.state === 'expired') return t('invites.summaryExpired', { uses })
  if (invite.state === 'used_up') return t('invites.summaryUsedUp', { uses })
  return invite.expires_at
    ? t('invites.summaryExpires', { uses, date: formatDate(invite.expires_at) })
    : t('invites.summaryNever', { uses })
}
