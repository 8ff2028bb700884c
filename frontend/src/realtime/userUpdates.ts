/**
 * `user.updated` (protocol 2, issue 17): someone changed their name or picture, or deleted
 * their account. Everything the client shows of that person follows: the signed-in user,
 * member lists and the messages already rendered (senders and reply quotes), in the rooms
 * and in the thread views, and the people shown on thread summaries (issue 29).
 */
import type { Message, User } from '@/api/types'
import { useAuthStore } from '@/stores/auth'
import { useTimelineStore } from '@/stores/timeline'
import { useRoomsStore } from '@/stores/rooms'
import { useThreadsStore } from '@/stores/threads'

function renamed(msg: Message, user: User): void {
  if (msg.sender.id === user.id) msg.sender = user
  if (msg.reply_to && msg.reply_to.sender.id === user.id) msg.reply_to = { ...msg.reply_to, sender: user }
  const s = msg.thread_summary
  if (s && s.participants.some((p) => p.id === user.id)) {
    msg.thread_summary = { ...s, participants: s.participants.map((p) => (p.id === user.id ? user : p)) }
  }
}

export function applyUserUpdated(user: User): void {
  const auth = useAuthStore()
  if (auth.user && auth.user.id === user.id) auth.user = { ...auth.user, ...user }
  const rooms = useRoomsStore()
  for (const list of Object.values(rooms.members)) {
    for (const m of list) if (m.user.id === user.id) m.user = user
  }
  const timeline = useTimelineStore()
  for (const t of Object.values(timeline.timelines)) {
    for (const msg of t.messages) renamed(msg, user)
  }
  const threads = useThreadsStore()
  for (const v of Object.values(threads.views)) {
    if (v.root) renamed(v.root, user)
    for (const msg of v.replies) renamed(msg, user)
  }
  for (const item of threads.followed) renamed(item.root, user)
}
