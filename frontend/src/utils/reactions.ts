import type { Reaction } from '@/api/types'

/** How many people a reaction names (the server's `REACTION_USERS_MAX`); `count` has them all. */
export const REACTION_USERS_MAX = 20

/** At most this many names in a tooltip before "and N others". */
const NAMES_SHOWN = 8

/**
 * Who reacted, as a sentence: "you, alice and Bob", "alice, Bob and 14 others".
 * I come first as "you"; the rest in the order they reacted.
 */
export function whoReacted(r: Reaction, meId: number | null): string {
  const others = (r.users ?? []).filter((u) => u.id !== meId).map((u) => u.display_name)
  const names = r.me ? ['you', ...others] : others
  const shown = names.slice(0, NAMES_SHOWN)
  const rest = Math.max(0, r.count - shown.length)
  if (shown.length === 0) return `${r.count} ${r.count === 1 ? 'person' : 'people'}`
  if (rest > 0) return `${shown.join(', ')} and ${rest} ${rest === 1 ? 'other' : 'others'}`
  if (shown.length === 1) return shown[0]!
  return `${shown.slice(0, -1).join(', ')} and ${shown[shown.length - 1]}`
}

/** The chip's accessible name: the emoji, who, and what a click does. */
export function reactionLabel(r: Reaction, meId: number | null): string {
  return `${r.emoji} from ${whoReacted(r, meId)}. ${r.me ? 'Click to take yours back' : 'Click to add yours'}`
}
