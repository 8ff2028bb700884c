/** Every WebSocket frame of protocol 1, typed. Frame types mirror the server's. */
import type { Message, Room, User } from '@/api/types'

export const PROTOCOL_VERSION = 1

export interface HelloRoom {
  id: number
  last_seq: number
  unread_count: number
}

export type ErrorCode =
  | 'bad_json'
  | 'unknown_type'
  | 'invalid'
  | 'too_large'
  | 'not_member'
  | 'room_closed'
  | 'not_found'
  | 'rate_limited'
  | 'conflict'
  | 'server_error'

// server → client
export interface HelloFrame { type: 'hello'; protocol: number; user: User; rooms: HelloRoom[] }
export interface MessageFrame { type: 'message'; room: number; seq: number; message: Message }
export interface GapFrame { type: 'gap'; room: number; after_seq: number; until_seq?: number }
export interface AckFrame { type: 'ack'; client_id: string; room: number; id: number; seq: number }
export interface TypingFrame { type: 'typing'; room: number; user: User }
/** `online` is a count; a list of users or ids is accepted too. */
export interface PresenceFrame { type: 'presence'; room: number; online: number | Array<number | User> }
export interface UnreadFrame { type: 'unread'; room: number; count: number }
export interface RoomFrame { type: 'room.created' | 'room.updated' | 'room.closed'; room: Room }
/** `room` is the room object; a bare id is accepted too. */
export interface MemberFrame { type: 'member.joined' | 'member.left'; room: Room | number; user: User }
export interface PingFrame { type: 'ping' }
export interface PongFrame { type: 'pong' }
export interface ErrorFrame { type: 'error'; code: ErrorCode | string; message: string; ref?: string | null }

export type ServerFrame =
  | HelloFrame
  | MessageFrame
  | GapFrame
  | AckFrame
  | TypingFrame
  | PresenceFrame
  | UnreadFrame
  | RoomFrame
  | MemberFrame
  | PingFrame
  | PongFrame
  | ErrorFrame

// client → server
export interface ResumeFrame { type: 'resume'; rooms: Record<string, number> }
export interface SendFrame { type: 'send'; room: number; body: string; client_id: string }
export interface ReadFrame { type: 'read'; room: number; seq: number }
export interface TypingOutFrame { type: 'typing'; room: number }
export interface PingOutFrame { type: 'ping' }

export type ClientFrame = ResumeFrame | SendFrame | ReadFrame | TypingOutFrame | PingOutFrame

/** Close codes the server uses. */
export const CLOSE_AUTH = 4003
export const CLOSE_TOO_SLOW = 4008
export const CLOSE_TOO_MANY = 4029

export function parseFrame(data: unknown): ServerFrame | null {
  if (typeof data !== 'string') return null
  try {
    const f = JSON.parse(data) as unknown
    if (f && typeof f === 'object' && typeof (f as { type?: unknown }).type === 'string') {
      return f as ServerFrame
    }
  } catch {
    // ignore malformed frames
  }
  return null
}
