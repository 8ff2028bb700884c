/** The choices of the invite dialog, in the units the API takes (seconds, uses; null = no limit). */
export const EXPIRY_CHOICES: ReadonlyArray<{ label: string; seconds: number | null }> = [
  { label: 'Never', seconds: null },
  { label: '1 hour', seconds: 3600 },
  { label: '1 day', seconds: 86_400 },
  { label: '7 days', seconds: 7 * 86_400 },
]

export const USE_CHOICES: ReadonlyArray<{ label: string; uses: number | null }> = [
  { label: 'Unlimited', uses: null },
  { label: '1 use', uses: 1 },
  { label: '5 uses', uses: 5 },
  { label: '25 uses', uses: 25 },
]

/** How a link's limits read in a list: "2 of 5 uses · expires …" */
export function inviteSummary(
  invite: { uses: number; max_uses: number | null; expires_at: string | null; state: string },
  formatDate: (iso: string) => string,
): string {
  const uses = invite.max_uses === null ? `${invite.uses} used` : `${invite.uses} of ${invite.max_uses} uses`
  if (invite.state === 'expired') return `${uses} · expired`
  if (invite.state === 'used_up') return `${uses} · used up`
  return invite.expires_at ? `${uses} · expires ${formatDate(invite.expires_at)}` : `${uses} · never expires`
}
