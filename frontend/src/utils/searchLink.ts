/**
 * A search result opens its room at the message: `/rooms/:id?msg=<id>&seq=<seq>`. The room
 * view reads the two back with `jumpTarget`, loads the history around the seq
 * (`?around_seq=`), scrolls to the message and flashes it. A reply in a thread (issue 29)
 * opens the thread beside the room at that reply instead: `/rooms/:id?thread=<root>&at=<seq>`.
 */
import type { LocationQuery, RouteLocationRaw } from 'vue-router'
import type { SearchQuery } from '@/api'

export interface JumpTarget {
  id: number
  seq: number
}

export function resultLink(message: { id: number; room: number; seq: number; thread?: number | null }): RouteLocationRaw {
  if (message.thread) return threadLink(message.room, message.thread, message.seq)
  return { name: 'room', params: { id: message.room }, query: { msg: String(message.id), seq: String(message.seq) } }
}

/** The room with a thread open beside it; `at`: the reply to show (its seq). */
export function threadLink(roomId: number, rootId: number, at?: number): RouteLocationRaw {
  const query: Record<string, string> = { thread: String(rootId) }
  if (at) query.at = String(at)
  return { name: 'room', params: { id: roomId }, query }
}

export interface ThreadTarget {
  root: number
  /** The seq of the reply to show, or null: the newest. */
  at: number | null
}

/** The thread a room link asks to open (`?thread=<root>&at=<seq>`), or null. */
export function threadTarget(query: LocationQuery): ThreadTarget | null {
  const root = positive(query.thread)
  return root === null ? null : { root, at: positive(query.at) }
}

function positive(v: unknown): number | null {
  if (typeof v !== 'string' || !/^\d{1,15}$/.test(v)) return null
  const n = Number(v)
  return n > 0 ? n : null
}

/** The message a room link asks to open at, or null when the query does not name one. */
export function jumpTarget(query: LocationQuery): JumpTarget | null {
  const id = positive(query.msg)
  const seq = positive(query.seq)
  return id !== null && seq !== null ? { id, seq } : null
}

export interface SearchFilters {
  q: string
  room: string
  sender: string
  after: string // yyyy-mm-dd from a date input, or ''
  before: string
}

/** The API's parameters for the filters: empty ones left out, `before` a whole day inclusive. */
export function searchParams(f: SearchFilters): SearchQuery {
  const out: SearchQuery = { q: f.q.trim() }
  if (f.room) out.room = Number(f.room)
  if (f.sender) out.sender = Number(f.sender)
  if (f.after) out.after = f.after
  if (f.before) out.before = nextDay(f.before)
  return out
}

function nextDay(day: string): string {
  const d = new Date(`${day}T00:00:00Z`)
  d.setUTCDate(d.getUTCDate() + 1)
  return d.toISOString().slice(0, 10)
}

export interface Segment {
  text: string
  match: boolean
}

/**
 * A long body shortened around its matches: unmatched stretches keep `context`
 * characters next to each match (and the start of the body when it opens with one), the
 * rest becomes "…". The server sends the whole body cut into segments; this only trims.
 */
export function snippet(segments: Segment[], context = 80): Segment[] {
  const out: Segment[] = []
  const last = segments.length - 1
  segments.forEach((seg, i) => {
    if (seg.match || seg.text.length <= context * 2) {
      out.push(seg)
      return
    }
    const before = i > 0 // a match precedes this stretch
    const after = i < last // a match follows it
    const chars = Array.from(seg.text) // code points: never cut a surrogate pair
    let text: string
    if (before && after) text = `${chars.slice(0, context).join('')} … ${chars.slice(-context).join('')}`
    else if (before) text = `${chars.slice(0, context).join('')}…`
    else if (after) text = `…${chars.slice(-context).join('')}`
    else text = `${chars.slice(0, context * 2).join('')}…` // no match shown at all
    out.push({ text, match: false })
  })
  return out
}
