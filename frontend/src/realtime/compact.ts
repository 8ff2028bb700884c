/**
 * The compact wire form (docs/protocol.md, "Compact frames"; issue 34). This client opens its
 * socket with `wire=compact`, and the server then leaves out of `message` and `message.updated`
 * frames every field the client can restore: null, an empty list, false, an empty string, the
 * frame's own `room` and `seq`, a `display_name` equal to the username, a user named twice.
 * `expandFrame` restores them, once, as a frame is parsed (`parseFrame`): everything after it
 * (stores, views) sees full frames only, whichever form the server sent. A full frame passes
 * through unchanged, so a server that ignores `wire=` is read just as well.
 *
 * The same rules as the server's `parley/realtime/compact.py`; the fixture of pairs it writes
 * (`__fixtures__/compact-frames.json`) holds the two to each other.
 */

type Json = Record<string, unknown>

/** Dropped by the server when they hold these values; restored here. */
const MESSAGE_DEFAULTS: Json = {
  body: '',
  edited_at: null,
  client_id: '',
  deleted: false,
  reply_to: null,
  mentions: [],
  mentions_room: false,
  reactions: [],
  attachments: [],
  previews: [],
  thread: null,
  also_to_room: false,
  thread_summary: null,
  scheduled_for: null,
}
const USER_DEFAULTS: Json = { is_guest: false, is_bot: false }
const REPLY_DEFAULTS: Json = { deleted: false }
const SUMMARY_DEFAULTS: Json = { following: null }
const ATTACHMENT_DEFAULTS: Json = { width: null, height: null, thumbnail_url: null }
const PREVIEW_DEFAULTS: Json = { description: '', image_url: null }

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value)

function fill(obj: Json, defaults: Json): Json {
  for (const [key, value] of Object.entries(defaults)) {
    if (!(key in obj)) obj[key] = Array.isArray(value) ? [] : value
  }
  return obj
}

/** The users of one frame, read in the server's order: the sender, the reply's sender, the
 * thread's participants. `{id}` alone is a repeat of the user named before with that id. */
class Users {
  private readonly seen = new Map<number, Json>()

  expand(user: unknown): unknown {
    if (!isObject(user) || typeof user.id !== 'number') return user
    const before = this.seen.get(user.id)
    if (Object.keys(user).length === 1 && before) return { ...before }
    fill(user, USER_DEFAULTS)
    if (!('display_name' in user) && 'username' in user) user.display_name = user.username
    if (!before) this.seen.set(user.id, user)
    return user
  }
}

function expandMessage(message: Json, room: unknown, seq: unknown): void {
  const users = new Users()
  fill(message, MESSAGE_DEFAULTS)
  if (!('room' in message)) message.room = room
  if (!('seq' in message)) message.seq = seq
  if ('sender' in message) message.sender = users.expand(message.sender)
  const reply = message.reply_to
  if (isObject(reply)) {
    fill(reply, REPLY_DEFAULTS)
    if ('sender' in reply) reply.sender = users.expand(reply.sender)
  }
  const summary = message.thread_summary
  if (isObject(summary)) {
    fill(summary, SUMMARY_DEFAULTS)
    if (Array.isArray(summary.participants)) summary.participants = summary.participants.map((u) => users.expand(u))
  }
  if (Array.isArray(message.attachments)) {
    for (const a of message.attachments) if (isObject(a)) fill(a, ATTACHMENT_DEFAULTS)
  }
  if (Array.isArray(message.previews)) {
    for (const p of message.previews) if (isObject(p)) fill(p, PREVIEW_DEFAULTS)
  }
}

/** A parsed frame in its full form: a compact message frame is filled in (in place), any
 * other frame is returned as it is. */
export function expandFrame<F extends { type: string }>(frame: F): F {
  if (frame.type !== 'message' && frame.type !== 'message.updated') return frame
  const f = frame as unknown as Json
  if (isObject(f.message)) expandMessage(f.message, f.room, f.seq)
  return frame
}

/** The value of `wire=` this client asks for. */
export const WIRE_FORM = 'compact'
