/**
 * The outbox (local echo): messages I wrote that the server has not acknowledged yet.
 * Each is shown at once as pending, sent over the socket (queued while it is down and
 * sent once per connection), failed when no ack comes in time, and leaves the outbox
 * when its ack or its own message comes back. It knows nothing of the timeline: the
 * ack answer is handed to whoever places it (realtime/session.ts).
 */
import { t } from '@/i18n'
import { defineStore } from 'pinia'
import { reactive } from 'vue'
import type { Attachment, Message, ReplyTo } from '@/api/types'
import { realtime } from '@/realtime'
import type { AckOut, ErrorOut, SendIn } from '@/realtime/protocol'
import { newClientId } from '@/utils/ids'
import { useAuthStore } from './auth'

/** No ack this long after a send on a live socket → failed (retry offered). */
export const ACK_TIMEOUT_MS = 15_000

export type OutgoingStatus = 'pending' | 'failed'

/** A message we wrote that the server has not acknowledged yet. */
export interface OutgoingMessage {
  client_id: string
  room: number
  body: string
  created_at: string
  status: OutgoingStatus
  error: string | null
  /** Socket generation it was last sent on (-1: not sent yet). */
  sentGen: number
  /** The message it answers, as quoted while it is pending. */
  reply_to: ReplyTo | null
  /** Uploaded files it carries. */
  attachments: Attachment[]
  /** The thread it replies in (its root's id), or null for the room's flow. */
  thread: number | null
  /** A thread reply shown in the room as well. */
  also_to_room: boolean
}

/** Where a send goes besides its room: a thread, and whether the room sees it too. */
export interface SendPlace {
  thread?: number | null
  alsoToRoom?: boolean
}

/** Does this pending send show in the room's own flow (not only in its thread)? */
export function inRoomFlow(o: Pick<OutgoingMessage, 'thread' | 'also_to_room'>): boolean {
  return o.thread === null || o.also_to_room
}

export const useOutboxStore = defineStore('outbox', () => {
  const outgoing = reactive<Record<number, OutgoingMessage[]>>({})
  const ackTimers = new Map<string, ReturnType<typeof setTimeout>>()

  /** The room's pending sends that show in its flow (a thread's own replies wait in the thread). */
  function outgoingFor(roomId: number): OutgoingMessage[] {
    return (outgoing[roomId] ?? []).filter(inRoomFlow)
  }

  /** A thread's pending replies (also those sent to the room as well). */
  function outgoingForThread(roomId: number, rootId: number): OutgoingMessage[] {
    return (outgoing[roomId] ?? []).filter((o) => o.thread === rootId)
  }

  /** Messages of every room still waiting for their ack (the connection banner counts them). */
  function pendingCount(): number {
    return Object.values(outgoing).reduce((n, list) => n + list.filter((o) => o.status === 'pending').length, 0)
  }

  function send(
    roomId: number,
    body: string,
    answer: Message | null = null,
    attachments: Attachment[] = [],
    place: SendPlace = {},
  ): OutgoingMessage {
    const o: OutgoingMessage = {
      client_id: newClientId(),
      room: roomId,
      body,
      created_at: new Date().toISOString(),
      status: 'pending',
      error: null,
      sentGen: -1,
      reply_to: answer
        ? { id: answer.id, seq: answer.seq, sender: answer.sender, excerpt: answer.body.slice(0, 120), deleted: false }
        : null,
      attachments,
      thread: place.thread ?? null,
      also_to_room: !!place.thread && !!place.alsoToRoom,
    }
    if (!outgoing[roomId]) outgoing[roomId] = []
    const list = outgoing[roomId]!
    list.push(o)
    // The reactive copy, so that the status shown follows the changes below.
    const stored = list[list.length - 1]!
    trySend(stored)
    return stored
  }

  function trySend(o: OutgoingMessage): void {
    if (o.status !== 'pending') return
    const frame = {
      type: 'send',
      room: o.room,
      body: o.body,
      client_id: o.client_id,
      ...(o.reply_to ? { reply_to: o.reply_to.id } : {}),
      ...(o.attachments.length ? { attachments: o.attachments.map((a) => a.id) as SendIn['attachments'] } : {}),
      ...(o.thread !== null ? { thread: o.thread, ...(o.also_to_room ? { also_to_room: true } : {}) } : {}),
    } as const
    const sent = realtime.send(frame)
    if (!sent) return // queued: flushed when the socket is ready
    o.sentGen = realtime.generation
    clearAckTimer(o.client_id)
    ackTimers.set(
      o.client_id,
      setTimeout(() => {
        ackTimers.delete(o.client_id)
        if (o.status === 'pending' && realtime.isReady && o.sentGen === realtime.generation) {
          o.status = 'failed'
          o.error = t('messages.notConfirmed')
        }
      }, ACK_TIMEOUT_MS),
    )
  }

  /** Socket ready (generation `gen`): send every pending message not yet sent on it, once. */
  function flush(gen: number): void {
    for (const list of Object.values(outgoing)) {
      for (const o of list) {
        if (o.status === 'pending' && o.sentGen !== gen) trySend(o)
      }
    }
  }

  /** The socket dropped: pending sends wait for the next connection instead of timing out. */
  function connectionLost(): void {
    for (const timer of ackTimers.values()) clearTimeout(timer)
    ackTimers.clear()
  }

  function retry(clientId: string): void {
    const o = find(clientId)
    if (!o || o.status !== 'failed') return
    o.status = 'pending'
    o.error = null
    o.sentGen = -1
    trySend(o)
  }

  /** A slash command answered with a `notice`: its send stored nothing, so stop holding it. */
  function settleCommand(clientId: string): void {
    const o = find(clientId)
    if (o && o.status === 'pending') discard(clientId)
  }

  function discard(clientId: string): void {
    for (const [room, list] of Object.entries(outgoing)) {
      const at = list.findIndex((o) => o.client_id === clientId)
      if (at !== -1) {
        list.splice(at, 1)
        clearAckTimer(clientId)
        if (list.length === 0) delete outgoing[Number(room)]
        return
      }
    }
  }

  /** A message came back (its ack, its frame, a page of history): if it is one of mine held here, it is sent. */
  function resolve(msg: Message): void {
    const me = useAuthStore().user
    if (!msg.client_id || (me && msg.sender.id !== me.id)) return
    const list = outgoing[msg.room]
    if (!list) return
    const at = list.findIndex((o) => o.client_id === msg.client_id)
    if (at === -1) return
    list.splice(at, 1)
    clearAckTimer(msg.client_id)
  }

  /**
   * An `ack`: the message leaves the outbox. Returns it as the timeline should show it
   * (the frame carrying it follows), or null when the ack was not for a send held here.
   */
  function applyAck(frame: AckOut): Message | null {
    const o = find(frame.client_id)
    if (!o) return null
    const me = useAuthStore().user
    const msg: Message = {
      id: frame.id,
      room: frame.room,
      seq: frame.seq,
      sender: me ?? { id: 0, username: '', display_name: '', avatar: '', is_guest: false, is_bot: false },
      body: o.body,
      created_at: o.created_at,
      edited_at: null,
      client_id: o.client_id,
      deleted: false,
      reply_to: o.reply_to,
      mentions: [],
      mentions_room: false,
      scheduled_for: null,
      reactions: [],
      attachments: o.attachments,
      previews: [],
      thread: o.thread,
      also_to_room: o.also_to_room,
      thread_summary: null,
    }
    resolve(msg)
    return msg
  }

  /** An `error` frame; true when it belonged to one of our sends. */
  function applyError(frame: ErrorOut): boolean {
    if (typeof frame.ref !== 'string') return false
    const o = find(frame.ref)
    if (!o) return false
    clearAckTimer(o.client_id)
    o.status = 'failed'
    o.error = frame.message || frame.code
    return true
  }

  /** The room a pending send of ours went to (an error frame names only its client_id). */
  function roomOf(clientId: string): number | undefined {
    for (const [room, list] of Object.entries(outgoing)) {
      if (list.some((x) => x.client_id === clientId)) return Number(room)
    }
    return undefined
  }

  function find(clientId: string): OutgoingMessage | undefined {
    for (const list of Object.values(outgoing)) {
      const o = list.find((x) => x.client_id === clientId)
      if (o) return o
    }
    return undefined
  }

  function clearAckTimer(clientId: string): void {
    const timer = ackTimers.get(clientId)
    if (timer) clearTimeout(timer)
    ackTimers.delete(clientId)
  }

  function reset(): void {
    connectionLost()
    for (const k of Object.keys(outgoing)) delete outgoing[Number(k)]
  }

  return {
    outgoing,
    outgoingFor,
    outgoingForThread,
    pendingCount,
    send,
    flush,
    connectionLost,
    retry,
    settleCommand,
    discard,
    resolve,
    applyAck,
    applyError,
    roomOf,
    reset,
  }
})
