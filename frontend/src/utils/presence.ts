import type { PresenceState } from '@/api/types'

/** The catalogue key naming each presence state ("Online", "Away", "Do not disturb", "Offline"). */
export const PRESENCE_LABEL: Record<PresenceState, string> = {
  online: 'presence.online',
  away: 'presence.away',
  dnd: 'presence.dnd',
  offline: 'presence.offline',
}
