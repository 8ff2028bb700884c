/**
 * How a held copy of a message changes, shared by the room's timeline (stores/timeline.ts)
 * and the thread views (stores/threads.ts): a message can be held in both (a thread's root,
 * a reply also sent to the room), and both must place, edit, delete and count reactions
 * the same way.
 */
import type { Message, Reaction, User } from '@/api/types'
import type { MessageDeletedOut, MessageUpdatedOut } from '@/realtime/protocol'
import { REACTION_USERS_MAX } from '@/utils/reactions'

/** What a deleted message keeps of its fields (a fresh object each time: arrays are never shared). */
export function tombstone(): Pick<Message, 'deleted' | 'body' | 'reactions' | 'mentions' | 'mentions_room'> {
  return { deleted: true, body: '', reactions: [], mentions: [], mentions_room: false }
}

/** Is the message part of the room's own flow? A thread reply is not, unless sent to the room as well. */
export function inRoomFlow(m: Pick<Message, 'thread' | 'also_to_room'>): boolean {
  return m.thread === null || m.thread === undefined || !!m.also_to_room
}

/**
 * Insert in seq order; a message already known (same id) is replaced. A frame's
 * message carries no reactions (`[]` for every viewer): `fromFrame` keeps the
 * reactions already held; a REST page is the viewer's own truth and replaces them.
 * A frame carries no viewer's `following` either: the held one stays.
 */
export function insertSorted(list: Message[], msg: Message, fromFrame = false): boolean {
  const at = list.findIndex((m) => m.id === msg.id)
  if (at !== -1) {
    const prev = list[at]!
    const reactions = msg.deleted ? [] : fromFrame ? prev.reactions : msg.reactions
    // A frame replayed from before an edit must not bring back the old text.
    const stale = fromFrame && !!prev.edited_at && (!msg.edited_at || msg.edited_at < prev.edited_at)
    const summary = fromFrame ? mergeSummary(prev.thread_summary, msg.thread_summary) : msg.thread_summary
    list[at] = stale
      ? { ...prev, deleted: prev.deleted || msg.deleted, thread_summary: summary }
      : { ...msg, reactions, thread_summary: summary }
    if (prev.deleted || msg.deleted) Object.assign(list[at]!, tombstone())
    return false
  }
  let lo = 0
  let hi = list.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (list[mid]!.seq < msg.seq) lo = mid + 1
    else hi = mid
  }
  list.splice(lo, 0, msg)
  return true
}

type Summary = Message['thread_summary']

/**
 * A root's summary from a frame laid over the one held: the counts are the frame's, and
 * a summary that says fewer replies than the one held is an older one (a replay) and loses.
 * `following` is the viewer's: a frame goes to everyone alike, so the held value stays.
 */
export function mergeSummary(held: Summary | undefined, incoming: Summary | undefined): Summary {
  if (!incoming) return held ?? null
  if (!held) return { ...incoming }
  if (incoming.reply_count < held.reply_count) return held
  return { ...incoming, following: held.following }
}

/** As many repliers as a root's summary names (the server's PARTICIPANTS_MAX). */
export const SUMMARY_PARTICIPANTS = 5

/**
 * A reply of the root's thread arrived (live, replayed or from a hole): count it into the
 * held root at once. The server logs a busy root's `message.updated` at most once per short
 * window, carrying every reply since; until it comes the count follows the replies here. A
 * reply at or below the summary's `last_reply_seq` is counted already.
 */
export function countReply(root: Message, reply: Message, seq: number): void {
  const held = root.thread_summary
  if (root.deleted || (held && seq <= held.last_reply_seq)) return
  const who = reply.sender
  root.thread_summary = {
    reply_count: (held?.reply_count ?? 0) + 1,
    last_reply_at: reply.created_at,
    last_reply_seq: seq,
    participants: [who, ...(held?.participants ?? []).filter((p) => p.id !== who.id)].slice(0, SUMMARY_PARTICIPANTS),
    following: held?.following ?? null,
  }
}

/** An edit or a deletion (`message.updated`, `message.deleted`) on a held copy. */
export function applyUpdate(m: Message, f: MessageUpdatedOut | MessageDeletedOut): void {
  if (f.type === 'message.deleted' || f.message.deleted) {
    Object.assign(m, tombstone())
    return
  }
  Object.assign(m, {
    body: f.message.body,
    edited_at: f.message.edited_at,
    mentions: f.message.mentions,
    mentions_room: f.message.mentions_room,
    attachments: f.message.attachments ?? m.attachments,
    // Link previews arrive after the send (and go when the author removes one).
    previews: f.message.previews ?? m.previews ?? [],
    thread_summary: mergeSummary(m.thread_summary, f.message.thread_summary),
  })
}

/**
 * One person's reaction came or went. Mine are applied once whatever the path (REST answer, frame).
 * `users` (who reacted, the first REACTION_USERS_MAX as the server lists them) follows along.
 */
export function applyReaction(
  m: Message,
  emoji: string,
  op: 'add' | 'remove',
  who: Pick<User, 'id' | 'display_name'>,
  mine: boolean,
): void {
  const list: Reaction[] = m.reactions.map((r) => ({ ...r, users: [...(r.users ?? [])] }))
  const at = list.findIndex((r) => r.emoji === emoji)
  const r = at === -1 ? undefined : list[at]
  const person = { id: who.id, display_name: who.display_name }
  if (op === 'add') {
    if (mine && r?.me) return
    if (r) {
      r.count += 1
      if (mine) r.me = true
      if (r.users.length < REACTION_USERS_MAX && !r.users.some((u) => u.id === who.id)) r.users.push(person)
    } else list.push({ emoji, count: 1, me: mine, users: [person] })
  } else {
    if (!r || (mine && !r.me)) return
    r.count -= 1
    if (mine) r.me = false
    r.users = r.users.filter((u) => u.id !== who.id)
    if (r.count <= 0) list.splice(at, 1)
  }
  m.reactions = list
}
