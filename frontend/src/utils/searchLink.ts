/**
 * A search result opens its room at the message: `/rooms/:id?msg=<id>&seq=<seq>`. The room
 * view reads the two back with `jumpTarget`, loads the history around the seq
 * (`?around_seq=`), scrolls to the message and flashes it.
 */
import type { LocationQuery, RouteLocationRaw } from 'vue-router'

export interface JumpTarget {
  id: number
  seq: number
}

export function resultLink(message: { id: number; room: number; seq: number }): RouteLocationRaw {
  return { name: 'room', params: { id: message.room }, query: { msg: String(message.id), seq: String(message.seq) } }
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
export function searchParams(f: SearchFilters): Record<string, string | number> {
  const out: Record<string, string | number> = { q: f.q.trim() }
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
