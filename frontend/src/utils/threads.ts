/**
 * Small rules of the thread view (issue 29), apart so that they are tested on their own.
 */
import type { Message } from '@/api/types'

/**
 * The seq of the reply the "New replies" line goes above: the first reply after the
 * thread's read bound that someone else wrote; null when nothing was unread.
 */
export function firstUnreadReply(replies: readonly Message[], unreadAfter: number | null, meId: number | null): number | null {
  if (unreadAfter === null) return null
  const m = replies.find((x) => x.seq > unreadAfter && x.sender.id !== meId)
  return m ? m.seq : null
}
