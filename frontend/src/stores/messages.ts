import { defineStore } from 'pinia'
import { reactive } from 'vue'
import { api } from '@/api'
import type { Message } from '@/api/types'
import { realtime } from '@/realtime'
import type { AckOut, ErrorOut, GapOut, MessageFrame } from '@/realtime/protocol'
import { newClientId } from '@/utils/ids'
import { useAuthStore } from './auth'

export const PAGE_SIZE = 50
export const EVENTS_PAGE = 100
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
}

export interface Timeline {
  messages: Message[]
  /** Older messages exist on the server. */
  hasMore: boolean
  loaded: boolean
  loadingOlder: boolean
  /** Highest seq seen in this room's event log. */
  lastSeq: number
  /** Holes (after, until] still to fetch through the events endpoint. */
  holes: Array<[number, number]>
  filling: boolean
  /** Frames that arrived while the first page was loading. */
  buffer: MessageFrame[]
}

function newTimeline(): Timeline {
  return { messages: [], hasMore: false, loaded: false, loadingOlder: false, lastSeq: 0, holes: [], filling: false, buffer: [] }
}

/** Insert in seq order; a message already known (same id) is replaced. */
function insertSorted(list: Message[], msg: Message): boolean {
  const at = list.findIndex((m) => m.id === msg.id)
  if (at !== -1) {
    list[at] = msg
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

export const useMessagesStore = defineStore('messages', () => {
  const timelines = reactive<Record<number, Timeline>>({})
  const outgoing = reactive<Record<number, OutgoingMessage[]>>({})
  const ackTimers = new Map<string, ReturnType<typeof setTimeout>>()
  const loadingLatest = new Map<number, Promise<void>>()

  function timeline(roomId: number): Timeline | undefined {
    return timelines[roomId]
  }

  function outgoingFor(roomId: number): OutgoingMessage[] {
    return outgoing[roomId] ?? []
  }

  // ---- history ----

  /** Load the newest page of a room once; frames arriving meanwhile are buffered. */
  function loadLatest(roomId: number): Promise<void> {
    const existing = timelines[roomId]
    if (existing?.loaded) return Promise.resolve()
    const inflight = loadingLatest.get(roomId)
    if (inflight) return inflight
    if (!existing) timelines[roomId] = newTimeline()
    // Through the reactive proxy, not the raw object, so the view updates.
    const t = timelines[roomId]!
    const p = (async () => {
      try {
        const page = await api.messages(roomId, { limit: PAGE_SIZE })
        // Dropped meanwhile (left, or reset by a join): whoever dropped it loads afresh.
        if (timelines[roomId] !== t) return
        for (const m of page.messages) insertSorted(t.messages, m)
        t.hasMore = page.has_more
        t.lastSeq = Math.max(t.lastSeq, ...page.messages.map((m) => m.seq))
        t.loaded = true
        for (const m of page.messages) resolveOutgoing(m)
        const buffered = t.buffer.splice(0).sort((a, b) => a.seq - b.seq)
        for (const f of buffered) ingest(roomId, f.message, f.seq)
      } finally {
        // Once dropped, the entry is gone already or belongs to a newer load.
        if (timelines[roomId] === t) loadingLatest.delete(roomId)
      }
    })()
    loadingLatest.set(roomId, p)
    return p
  }

  async function loadOlder(roomId: number): Promise<number> {
    const t = timelines[roomId]
    if (!t || !t.loaded || !t.hasMore || t.loadingOlder) return 0
    const first = t.messages[0]
    if (!first) return 0
    t.loadingOlder = true
    try {
      const page = await api.messages(roomId, { before_seq: first.seq, limit: PAGE_SIZE })
      let added = 0
      for (const m of page.messages) if (insertSorted(t.messages, m)) added++
      t.hasMore = page.has_more
      return added
    } finally {
      t.loadingOlder = false
    }
  }

  // ---- live ----

  /** A message we hold as outgoing came back: it is no longer pending. */
  function resolveOutgoing(msg: Message): void {
    const me = useAuthStore().user
    if (!msg.client_id || (me && msg.sender.id !== me.id)) return
    const list = outgoing[msg.room]
    if (!list) return
    const at = list.findIndex((o) => o.client_id === msg.client_id)
    if (at === -1) return
    list.splice(at, 1)
    clearAckTimer(msg.client_id)
  }

  /** Add one message at `seq`; detect holes. `track=false` for acks (the frame follows). */
  function ingest(roomId: number, msg: Message, seq: number, track = true): void {
    const t = timelines[roomId]
    if (!t) return
    resolveOutgoing(msg)
    insertSorted(t.messages, { ...msg, seq })
    if (!track) return
    if (seq > t.lastSeq + 1 && t.loaded) {
      t.holes.push([t.lastSeq, seq - 1])
      void fillHoles(roomId)
    }
    if (seq > t.lastSeq) t.lastSeq = seq
  }

  /** A `message` frame. Returns false when the room's history is not loaded here. */
  function applyMessageFrame(frame: MessageFrame): boolean {
    const t = timelines[frame.room]
    if (!t) {
      resolveOutgoing(frame.message)
      return false
    }
    if (!t.loaded) {
      t.buffer.push(frame)
      return true
    }
    ingest(frame.room, frame.message, frame.seq)
    return true
  }

  /** The server could not replay everything: fetch (after_seq, until_seq] ourselves. */
  function applyGap(frame: GapOut): void {
    const t = timelines[frame.room]
    if (!t || !t.loaded) return
    t.holes.push([frame.after_seq, frame.until_seq])
    if (frame.until_seq > t.lastSeq) t.lastSeq = frame.until_seq
    void fillHoles(frame.room)
  }

  /** Page through the events endpoint until every hole of the room is filled. */
  async function fillHoles(roomId: number): Promise<void> {
    const t = timelines[roomId]
    if (!t || t.filling) return
    t.filling = true
    try {
      while (t.holes.length > 0) {
        const hole = t.holes[0]!
        const [after, until] = hole
        const page = await api.events(roomId, after, EVENTS_PAGE)
        let maxSeq = after
        for (const ev of page.events) {
          if (ev.type !== 'message') continue
          maxSeq = Math.max(maxSeq, ev.seq)
          resolveOutgoing(ev.message)
          insertSorted(t.messages, { ...ev.message, seq: ev.seq })
          if (ev.seq > t.lastSeq) t.lastSeq = ev.seq
        }
        if (page.has_more && maxSeq < until && maxSeq > after) hole[0] = maxSeq
        else t.holes.shift()
      }
    } catch (err) {
      // Keep the holes: retried when the socket is ready again.
      console.warn('gap fill failed', err)
    } finally {
      t.filling = false
    }
  }

  /** last_seq per room for `resume`: the rooms whose history we hold. */
  function resumeSeqs(): Record<string, number> {
    const out: Record<string, number> = {}
    for (const [id, t] of Object.entries(timelines)) {
      if (t.loaded) out[id] = t.lastSeq
    }
    return out
  }

  // ---- sending ----

  function send(roomId: number, body: string): OutgoingMessage {
    const o: OutgoingMessage = {
      client_id: newClientId(),
      room: roomId,
      body,
      created_at: new Date().toISOString(),
      status: 'pending',
      error: null,
      sentGen: -1,
    }
    if (!outgoing[roomId]) outgoing[roomId] = []
    const list = outgoing[roomId]!
    list.push(o)
    const stored = list[list.length - 1]!
    trySend(stored)
    return stored
  }

  function trySend(o: OutgoingMessage): void {
    if (o.status !== 'pending') return
    const sent = realtime.send({ type: 'send', room: o.room, body: o.body, client_id: o.client_id })
    if (!sent) return // queued: flushed when the socket is ready
    o.sentGen = realtime.generation
    clearAckTimer(o.client_id)
    ackTimers.set(
      o.client_id,
      setTimeout(() => {
        ackTimers.delete(o.client_id)
        if (o.status === 'pending' && realtime.isReady && o.sentGen === realtime.generation) {
          o.status = 'failed'
          o.error = 'Not confirmed by the server.'
        }
      }, ACK_TIMEOUT_MS),
    )
  }

  /** Socket ready (generation `gen`): send every pending message not yet sent on it, once. */
  function flushOutbox(gen: number): void {
    for (const list of Object.values(outgoing)) {
      for (const o of list) {
        if (o.status === 'pending' && o.sentGen !== gen) trySend(o)
      }
    }
    for (const id of Object.keys(timelines)) {
      if (timelines[Number(id)]!.holes.length > 0) void fillHoles(Number(id))
    }
  }

  /** The socket dropped: pending sends wait for the next connection instead of timing out. */
  function connectionLost(): void {
    for (const timer of ackTimers.values()) clearTimeout(timer)
    ackTimers.clear()
  }

  function retry(clientId: string): void {
    const o = findOutgoing(clientId)
    if (!o || o.status !== 'failed') return
    o.status = 'pending'
    o.error = null
    o.sentGen = -1
    trySend(o)
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

  function applyAck(frame: AckOut): void {
    const o = findOutgoing(frame.client_id)
    if (!o) return
    const me = useAuthStore().user
    const msg: Message = {
      id: frame.id,
      room: frame.room,
      seq: frame.seq,
      sender: me ?? { id: 0, username: '', display_name: '', avatar: '', is_guest: false },
      body: o.body,
      created_at: o.created_at,
      edited_at: null,
      client_id: o.client_id,
      deleted: false,
      reply_to: null,
      mentions: [],
      mentions_room: false,
      reactions: [],
    }
    const t = timelines[frame.room]
    if (t?.loaded) ingest(frame.room, msg, frame.seq, false)
    else resolveOutgoing(msg)
  }

  /** An `error` frame; true when it belonged to one of our sends. */
  function applyError(frame: ErrorOut): boolean {
    if (typeof frame.ref !== 'string') return false
    const o = findOutgoing(frame.ref)
    if (!o) return false
    clearAckTimer(o.client_id)
    o.status = 'failed'
    o.error = frame.message || frame.code
    return true
  }

  function findOutgoing(clientId: string): OutgoingMessage | undefined {
    for (const list of Object.values(outgoing)) {
      const o = list.find((x) => x.client_id === clientId)
      if (o) return o
    }
    return undefined
  }

  function clearAckTimer(clientId: string): void {
    const t = ackTimers.get(clientId)
    if (t) clearTimeout(t)
    ackTimers.delete(clientId)
  }

  function dropRoom(roomId: number): void {
    delete timelines[roomId]
    // A page still loading belongs to the dropped timeline; the next load starts afresh.
    loadingLatest.delete(roomId)
  }

  function reset(): void {
    connectionLost()
    for (const k of Object.keys(timelines)) delete timelines[Number(k)]
    for (const k of Object.keys(outgoing)) delete outgoing[Number(k)]
    loadingLatest.clear()
  }

  return {
    timelines,
    outgoing,
    timeline,
    outgoingFor,
    loadLatest,
    loadOlder,
    applyMessageFrame,
    applyGap,
    fillHoles,
    resumeSeqs,
    send,
    flushOutbox,
    connectionLost,
    retry,
    discard,
    applyAck,
    applyError,
    dropRoom,
    reset,
  }
})
