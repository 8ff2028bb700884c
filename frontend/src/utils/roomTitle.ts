/**
 * What a room is called on screen. A direct message has no name of its own: it is
 * the other people's display names (so it follows their renames), or "Just you".
 */
import { t } from '@/i18n'
import type { User } from '@/api/types'

interface Titled {
  name: string
  kind?: string
  dm_members?: readonly User[]
}

export function dmOthers(room: Titled, meId: number | null | undefined): User[] {
  return (room.dm_members ?? []).filter((u) => u.id !== meId)
}

export function roomTitle(room: Titled, meId: number | null | undefined): string {
  if (room.kind !== 'direct') return room.name
  const names = dmOthers(room, meId).map((u) => u.display_name)
  return names.length ? names.join(t('common.listSeparator')) : room.name
}

/** The room's name with its sigil: "#general", or the people of a DM as they are. */
export function roomLabel(room: Titled, meId: number | null | undefined): string {
  return room.kind === 'direct' ? roomTitle(room, meId) : `#${room.name}`
}
