import type { Reaction } from '@/api/types'
import { t } from '@/i18n'

/** How many people a reaction names (the server's `REACTION_USERS_MAX`); `count` has them all. */
export const REACTION_USERS_MAX = 20

/** At most this many names in a tooltip before "and N others". */
const NAMES_SHOWN = 8

/**
 * Who reacted, as a sentence: "you, alice and Bob", "alice, Bob and 14 others".
 * I come first as "you"; the rest in the order they reacted. The separators and
 * "and" are the UI language's (、 in Chinese and Japanese).
 */
export function whoReacted(r: Reaction, meId: number | null): string {
  const others = (r.users ?? []).filter((u) => u.id !== meId).map((u) => u.display_name)
  const names = r.me ? [t('reactions.you'), ...others] : others
  const shown = names.slice(0, NAMES_SHOWN)
  const rest = Math.max(0, r.count - shown.length)
  const sep = t('common.listSeparator')
  if (shown.length === 0) return t('reactions.people', { n: r.count }, r.count)
  if (rest > 0) return t('reactions.andOthers', { names: shown.join(sep), n: rest }, rest)
  if (shown.length === 1) return shown[0]!
  return t('reactions.and', { names: shown.slice(0, -1).join(sep), last: shown[shown.length - 1]! })
}

/** The chip's accessible name: the emoji, who, and what a click does. */
export function reactionLabel(r: Reaction, meId: number | null): string {
  return t(r.me ? 'reactions.labelMine' : 'reactions.label', { emoji: r.emoji, who: whoReacted(r, meId) })
}
