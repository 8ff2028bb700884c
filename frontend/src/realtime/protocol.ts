/**
 * The WebSocket protocol on the client. Every frame type is generated from the
 * server's models (protocol.gen.ts, `make protocol`); this module adds only what
 * runs: the close codes and the frame parser (which expands compact frames, compact.ts).
 */
import { expandFrame } from './compact'
import type { ServerFrame } from './protocol.gen'

export * from './protocol.gen'

/** The server frame of one `type`: `ServerFrameOf<'ack'>` is `AckOut`, `ServerFrameOf<'room.closed'>` a `RoomFrame`. */
export type ServerFrameOf<T extends ServerFrame['type']> = OfType<ServerFrame, T>
type OfType<F, T> = F extends { type: infer U } ? (T extends U ? F & { type: T } : never) : never

/** Close codes the server uses. 4001 (the password changed) needs nothing of its own: like a
 * dropped connection it reconnects with a fresh ticket, which only a login that still holds gets. */
export const CLOSE_AUTH = 4003
export const CLOSE_TOO_SLOW = 4008
export const CLOSE_TOO_MANY = 4029

/**
 * A frame as the server sent it, in its full form. Only the `type` is checked: the server
 * validates every frame against the same schema the types come from, and the client ignores
 * frame types it does not know. A compact message frame (this client asks for them:
 * `wire=compact`) is expanded here, the one place: nothing after this sees the compact form.
 */
export function parseFrame(data: unknown): ServerFrame | null {
  if (typeof data !== 'string') return null
  try {
    const f = JSON.parse(data) as unknown
    if (f && typeof f === 'object' && typeof (f as { type?: unknown }).type === 'string') {
      return expandFrame(f as ServerFrame)
    }
  } catch {
    // ignore malformed frames
  }
  return null
}
