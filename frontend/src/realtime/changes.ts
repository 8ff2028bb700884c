/**
 * Edits, deletions and reactions go over the socket while it is up: the server answers
 * `done` (or an `error` naming the frame's client_id) without the HTTP request, token
 * lookup and middleware chain a REST call costs it, which made these changes the
 * expensive part of a busy room (docs/performance.md). When the socket is down, or drops
 * or stays silent before the answer, the same change goes over REST instead. Every one of
 * them is idempotent on the server (the same text again, a reaction already there, a
 * message already deleted), so a change that went out twice is still made once.
 */
import { ApiError } from '@/api'
import { realtime } from './index'
import type { ClientFrame, DeleteIn, DoneOut, EditIn, ErrorOut, ReactIn } from './protocol'

type Change = Omit<EditIn, 'client_id'> | Omit<DeleteIn, 'client_id'> | Omit<ReactIn, 'client_id'>

interface Pending {
  resolve: () => void
  reject: (err: unknown) => void
  viaRest: () => Promise<unknown>
  timer: ReturnType<typeof setTimeout>
}

/** How long an answer may take before the change is made over REST instead. */
export const ANSWER_TIMEOUT_MS = 10_000

/** REST's status for the error codes a change can meet, so callers treat both paths alike. */
const STATUS: Record<string, number> = {
  invalid: 400,
  forbidden: 403,
  not_author: 403,
  not_member: 403,
  muted: 403,
  edit_window_closed: 403,
  not_found: 404,
  message_deleted: 409,
  room_closed: 409,
  rate_limited: 429,
}

const pending = new Map<string, Pending>()
let counter = 0

/** Make a change over the socket, or over REST (`viaRest`) when the socket cannot carry it. */
export function sendChange(change: Change, viaRest: () => Promise<unknown>): Promise<void> {
  counter += 1
  const clientId = `chg-${Date.now().toString(36)}-${counter.toString(36)}`
  if (!realtime.send({ ...change, client_id: clientId } as ClientFrame)) {
    return viaRest().then(() => undefined)
  }
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => fallBack(clientId), ANSWER_TIMEOUT_MS)
    pending.set(clientId, { resolve, reject, viaRest, timer })
  })
}

function take(clientId: string): Pending | undefined {
  const p = pending.get(clientId)
  if (p) {
    clearTimeout(p.timer)
    pending.delete(clientId)
  }
  return p
}

function fallBack(clientId: string): void {
  const p = take(clientId)
  if (p) p.viaRest().then(() => p.resolve(), p.reject)
}

/** A `done` frame: true when it answered a change of ours. */
export function settleDone(frame: DoneOut): boolean {
  const p = take(frame.client_id)
  p?.resolve()
  return p !== undefined
}

/** An `error` frame: true when it refused a change of ours (the caller's promise rejects). */
export function settleError(frame: ErrorOut): boolean {
  if (typeof frame.ref !== 'string') return false
  const p = take(frame.ref)
  p?.reject(new ApiError(STATUS[frame.code] ?? 409, frame.code, frame.message))
  return p !== undefined
}

/** The socket went down: the changes still waiting for an answer go over REST. */
export function changesConnectionLost(): void {
  for (const clientId of [...pending.keys()]) fallBack(clientId)
}
