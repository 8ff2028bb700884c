/**
 * When a new message deserves a desktop notification (and a sound), and what it
 * says. Pure, so the rules are tested on their own; `useNotifications` does the
 * browser side.
 */
import { t } from '@/i18n'
import type { NotifySetting } from '@/api/types'

export interface Incoming {
  /** The room's setting for me; null when unknown (not loaded): the kind's default. */
  setting: NotifySetting | null | undefined
  kind: 'room' | 'direct' | string
  fromMe: boolean
  mentionsMe: boolean
  /** The page is on screen (`document.visibilityState`): the message is seen anyway. */
  pageVisible: boolean
}

/** DMs notify on every message by default, rooms on mentions of me (the server's defaults). */
export function effectiveSetting(setting: NotifySetting | null | undefined, kind: string): NotifySetting {
  return setting ?? (kind === 'direct' ? 'all' : 'mentions')
}

export function shouldNotify(m: Incoming): boolean {
  if (m.fromMe || m.pageVisible) return false
  const setting = effectiveSetting(m.setting, m.kind)
  if (setting === 'nothing') return false
  return setting === 'all' || m.mentionsMe
}

export const EXCERPT_MAX = 140

/** The body as one plain line, cut at a word where it can be. */
export function excerpt(body: string, max = EXCERPT_MAX): string {
  const line = body.replace(/\s+/g, ' ').trim()
  if (line.length <= max) return line
  const cut = line.slice(0, max - 1)
  const space = cut.lastIndexOf(' ')
  return (space > max * 0.6 ? cut.slice(0, space) : cut) + '…'
}

/** "Bob" for a one-to-one DM, "Bob in Ann, Cat" for a group DM, "Bob in #general" for a room. */
export function notificationTitle(sender: string, kind: string, place: string, others: number): string {
  if (kind === 'direct') return others <= 1 ? sender : t('notify.inGroup', { sender, place })
  return t('notify.inRoom', { sender, place })
}
