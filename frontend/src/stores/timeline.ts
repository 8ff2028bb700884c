/**
 * The timeline of each room: the messages held, in seq order, and the room's event log
 * as far as it is known here (the last seq, holes to fetch, stretches left out by a jump).
 * Every path a message can take (a page of history, a live frame, a resume replay, a hole
 * filled over REST, my own ack) ends in the same placement by id, so it is shown once.
 * Edits, deletions and reactions I make are applied here too. The outbox (stores/outbox.ts)
 * holds what I have not had acknowledged; the composer (stores/composer.ts) what I am writing.
 * A thread reply (issue 29) takes its seq in the room's log like any message but is held
 * here only when it was sent to the room as well; its thread's view (stores/threads.ts)
 * holds it in any case, and every change to a message reaches both copies.
 */
import { defineStore } from 'pinia'
import { reactive, ref } from 'vue'
import { api } from '@/api'
import type { Message } from '@/api/types'
import { sendChange } from '@/realtime/changes'
import type { GapOut, MessageDeletedOut, MessageFrame, MessagePinnedOut, MessageUpdatedOut, ReactionFrame, ServerFrame } from '@/realtime/protocol'
import { useAuthStore } from './auth'
import { useComposerStore } from './composer'
import { applyReaction, applyUpdate, countReply, inRoomFlow, insertSorted, tombstone } from './messageOps'
import { useOutboxStore } from './outbox'
import { usePinsStore } from './pins'
import { useRoomsStore } from './rooms'
import { useThreadsStore } from './threads'

export const PAGE_SIZE = 50
export const EVENTS_PAGE = 100

/** Frames that take a seq in the room's log and change what the timeline shows. */
export type LogFrame = MessageFrame | MessageUpdatedOut | MessageDeletedOut | ReactionFrame | MessagePinnedOut

export function isLogFrame(f: ServerFrame): f is LogFrame {
  return (
    f.type === 'message' ||
    f.type === 'message.updated' ||
    f.type === 'message.deleted' ||
    f.type === 'reaction' ||
    f.type === 'message.pinned'
  )
}

/** Older messages we have not loaded lie between the seqs `after` and `before` (a jump left them out). */
export interface Break {
  after: number
  before: number
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
  buffer: LogFrame[]
  /** Stretches of history left out by a jump to an older message (oldest first). */
  breaks: Break[]
  loadingBreak: boolean
}

function newTimeline(): Timeline {
  return {
    messages: [],
    hasMore: false,
    loaded: false,
    loadingOlder: false,
    lastSeq: 0,
    holes: [],
    filling: false,
    buffer: [],
    breaks: [],
    loadingBreak: false,
  }
}

export const useTimelineStore = defineStore('timeline', () => {
  const timelines = reactive<Record<number, Timeline>>({})
  const loadingLatest = new Map<number, Promise<void>>()
  /** A message to flash after a jump to it (its id), and a counter to replay the flash. */
  const flash = ref<{ id: number; n: number } | null>(null)

  function timeline(roomId: number): Timeline | undefined {
    return timelines[roomId]
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
    // Every event up to the room's head as known now is in the page we are about to read.
    const headBefore = useRoomsStore().get(roomId)?.last_seq ?? 0
    const p = (async () => {
      try {
        const page = await api.messages(roomId, { limit: PAGE_SIZE })
        // Dropped meanwhile (left, or reset by a join): whoever dropped it loads afresh.
        if (timelines[roomId] !== t) return
        for (const m of page.messages) if (inRoomFlow(m)) insertSorted(t.messages, m)
        t.hasMore = page.has_more
        t.lastSeq = Math.max(t.lastSeq, headBefore, ...page.messages.map((m) => m.seq))
        t.loaded = true
        const outbox = useOutboxStore()
        for (const m of page.messages) outbox.resolve(m)
        const buffered = t.buffer.splice(0).sort((a, b) => a.seq - b.seq)
        for (const f of buffered) ingestFrame(roomId, f)
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
      for (const m of page.messages) if (inRoomFlow(m) && insertSorted(t.messages, m)) added++
      t.hasMore = page.has_more
      return added
    } finally {
      t.loadingOlder = false
    }
  }

  // ---- live ----

  /** Add one message at `seq` (it leaves the outbox if it was mine); detect holes. */
  function ingest(roomId: number, t: Timeline, msg: Message, seq: number): void {
    useOutboxStore().resolve(msg)
    if (inRoomFlow(msg)) insertSorted(t.messages, { ...msg, seq }, true)
    countIntoRoot(t, msg, seq)
    trackSeq(roomId, t, seq)
  }

  /** A thread reply: the root held in the room's flow counts it (its summary event may come later). */
  function countIntoRoot(t: Timeline, msg: Message, seq: number): void {
    if (!msg.thread) return
    const root = t.messages.find((m) => m.id === msg.thread)
    if (root) countReply(root, msg, seq)
  }

  /** The log reached `seq`: a jump over the next one is a hole to fetch. */
  function trackSeq(roomId: number, t: Timeline, seq: number): void {
    if (seq > t.lastSeq + 1 && t.loaded) {
      t.holes.push([t.lastSeq, seq - 1])
      void fillHoles(roomId)
    }
    if (seq > t.lastSeq) t.lastSeq = seq
  }

  /**
   * One frame of the room's log, live. A message is placed by id (idempotent);
   * an edit, deletion or reaction at or below the seq we hold was applied
   * already (it was in the page we loaded, or came before) and is skipped, so a
   * count never moves twice.
   */
  function ingestFrame(roomId: number, f: LogFrame): void {
    const t = timelines[roomId]
    if (!t) return
    if (f.type === 'message') {
      ingest(roomId, t, f.message, f.seq)
      return
    }
    if (f.seq <= t.lastSeq) return
    applyChange(t, f)
    trackSeq(roomId, t, f.seq)
  }

  /** Apply an edit, a deletion or a reaction to the messages we hold; a pin goes to the room's pins. */
  function applyChange(t: Timeline, f: Exclude<LogFrame, MessageFrame>): void {
    if (f.type === 'message.pinned') {
      usePinsStore().applyPinned(f, t.messages.find((x) => x.id === f.message_id))
    } else if (f.type === 'message.updated') {
      const m = t.messages.find((x) => x.id === f.message.id)
      if (!m) return
      if (f.message.deleted) markDeleted(t, m.id)
      else applyUpdate(m, f)
    } else if (f.type === 'message.deleted') {
      markDeleted(t, f.id)
    } else {
      const m = t.messages.find((x) => x.id === f.message_id)
      if (!m || m.deleted) return
      const me = useAuthStore().user
      applyReaction(m, f.emoji, f.op, f.user, me !== null && f.user.id === me.id)
    }
  }

  function markDeleted(t: Timeline, id: number): void {
    const m = t.messages.find((x) => x.id === id)
    if (m) Object.assign(m, tombstone())
    for (const r of t.messages) {
      if (r.reply_to && r.reply_to.id === id) r.reply_to = { ...r.reply_to, excerpt: '', deleted: true }
    }
    if (m) useComposerStore().messageDeleted(m.room, id)
  }

  /** A frame of the room's log. Returns false when the room's history is not loaded here. */
  function applyLogFrame(frame: LogFrame): boolean {
    const t = timelines[frame.room]
    if (!t) {
      if (frame.type === 'message') useOutboxStore().resolve(frame.message)
      return false
    }
    if (!t.loaded) {
      t.buffer.push(frame)
      return true
    }
    ingestFrame(frame.room, frame)
    return true
  }

  /**
   * My send was acknowledged (the outbox built the message from what I wrote): show it in
   * its place now. The log's seq is not advanced: the `message` frame that follows does that.
   */
  function placeAcked(msg: Message): void {
    const t = timelines[msg.room]
    if (t?.loaded && inRoomFlow(msg)) insertSorted(t.messages, { ...msg }, true)
    if (msg.thread) useThreadsStore().placeAcked(msg)
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
          if (!isLogFrame(ev)) continue
          maxSeq = Math.max(maxSeq, ev.seq)
          // Past the hole: those came live and were applied already.
          if (ev.seq > until) continue
          // A thread's replies and their changes reach its view too (it holds no log of its own).
          useThreadsStore().applyLogFrame(ev)
          if (ev.type === 'message') {
            useOutboxStore().resolve(ev.message)
            if (inRoomFlow(ev.message)) insertSorted(t.messages, { ...ev.message, seq: ev.seq }, true)
            countIntoRoot(t, ev.message, ev.seq)
          } else applyChange(t, ev)
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

  /** The socket is ready again: retry the holes an earlier fill could not close. */
  function fillAllHoles(): void {
    for (const id of Object.keys(timelines)) {
      if (timelines[Number(id)]!.holes.length > 0) void fillHoles(Number(id))
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

  // ---- edits, deletions, reactions (over the socket, REST when it is down: realtime/changes.ts;
  // the frames that follow are applied once) ----

  function find(roomId: number, id: number): Message | undefined {
    return timelines[roomId]?.messages.find((m) => m.id === id) ?? useThreadsStore().find(id)
  }

  /** Every copy of a message held here and in the thread views (a root, a reply sent to the room too). */
  function copies(roomId: number, id: number): Message[] {
    const own = timelines[roomId]?.messages.find((m) => m.id === id)
    return [...(own ? [own] : []), ...useThreadsStore().copies(id)]
  }

  /** My newest message that can still be edited (↑ in an empty composer). */
  function lastOwn(roomId: number): Message | undefined {
    const me = useAuthStore().user
    const list = timelines[roomId]?.messages ?? []
    for (let i = list.length - 1; i >= 0; i--) {
      const m = list[i]!
      if (me && m.sender.id === me.id && !m.deleted) return m
    }
    return undefined
  }

  /** Save an edit; throws the server's refusal (an ApiError) for the caller to show. */
  async function edit(roomId: number, id: number, body: string): Promise<void> {
    await sendChange({ type: 'edit', message: id, body }, async () => {
      const saved = await api.editMessage(id, body)
      for (const m of copies(roomId, id)) {
        if (m.deleted) continue
        Object.assign(m, {
          edited_at: saved.edited_at,
          mentions: saved.mentions,
          mentions_room: saved.mentions_room,
          reactions: saved.reactions,
        })
      }
    })
    // The body is stored as written: the new text shows at once, whichever of the answer and
    // the `message.updated` (edited_at, mentions) comes first.
    for (const m of copies(roomId, id)) if (!m.deleted) m.body = body
    useComposerStore().stopEdit(roomId, id)
  }

  /** The author takes a link preview off their message; the answer (and the `message.updated`
   * everyone gets) carries the cards left. Throws the server's refusal for the caller to show. */
  async function removePreview(roomId: number, id: number, index: number): Promise<void> {
    const saved = await api.removePreview(id, index)
    const m = find(roomId, id)
    if (m && !m.deleted) m.previews = [...saved.previews]
  }

  async function remove(roomId: number, id: number): Promise<void> {
    await sendChange({ type: 'delete', message: id }, () => api.deleteMessage(id))
    const t = timelines[roomId]
    if (t) markDeleted(t, id)
    useThreadsStore().markDeleted(id)
  }

  /** Add my reaction, or take it back if I had it; shown at once, set right by the answer. */
  async function toggleReaction(roomId: number, id: number, emoji: string): Promise<void> {
    const m = find(roomId, id)
    if (!m || m.deleted) return
    const had = m.reactions.some((r) => r.emoji === emoji && r.me)
    const held = copies(roomId, id).map((c) => [c, c.reactions] as const)
    const me = useAuthStore().user
    if (me) for (const [c] of held) applyReaction(c, emoji, had ? 'remove' : 'add', me, true)
    try {
      // Over the socket the `reaction` event confirms what is already shown; over REST the
      // answer is the message's reactions.
      await sendChange({ type: 'react', message: id, emoji, op: had ? 'remove' : 'add' }, async () => {
        const res = had ? await api.unreact(id, emoji) : await api.react(id, emoji)
        for (const now of copies(roomId, id)) if (!now.deleted) now.reactions = res.reactions
      })
    } catch (err) {
      for (const [c, before] of held) c.reactions = before
      throw err
    }
  }

  // ---- jumping to an older message ----

  /**
   * Make sure the message at `seq` is loaded: older than everything held (or in
   * a stretch left out by an earlier jump), load the page around it and remember
   * what still lies between it and what we had, to be loaded on demand.
   */
  async function loadAround(roomId: number, seq: number): Promise<boolean> {
    const t = timelines[roomId]
    if (!t || !t.loaded) return false
    if (t.messages.some((m) => m.seq === seq)) return true
    const first = t.messages[0]
    const inBreak = t.breaks.find((b) => seq > b.after && seq < b.before)
    if (!inBreak && first && seq > first.seq) return false // not a message (an event's seq), or deleted for good
    const page = await api.messages(roomId, { around_seq: seq, limit: PAGE_SIZE })
    if (timelines[roomId] !== t || page.messages.length === 0) return false
    const lo = page.messages[0]!.seq
    const hi = page.messages[page.messages.length - 1]!.seq
    for (const m of page.messages) if (inRoomFlow(m)) insertSorted(t.messages, m)
    if (inBreak) {
      t.breaks = t.breaks.filter((b) => b !== inBreak)
      if (page.has_more_before && lo > inBreak.after) t.breaks.push({ after: inBreak.after, before: lo })
      if (page.has_more_after && hi < inBreak.before) t.breaks.push({ after: hi, before: inBreak.before })
    } else if (first) {
      if (page.has_more_after && hi < first.seq) t.breaks.push({ after: hi, before: first.seq })
      t.hasMore = page.has_more_before ?? page.has_more
    }
    t.breaks.sort((a, b) => a.after - b.after)
    return t.messages.some((m) => m.seq === seq)
  }

  /** Load the next page of a stretch left out by a jump (reading down towards the present). */
  async function loadBreak(roomId: number, after: number): Promise<void> {
    const t = timelines[roomId]
    const b = t?.breaks.find((x) => x.after === after)
    if (!t || !b || t.loadingBreak) return
    t.loadingBreak = true
    try {
      const page = await api.messages(roomId, { after_seq: b.after, limit: PAGE_SIZE })
      for (const m of page.messages) if (m.seq < b.before && inRoomFlow(m)) insertSorted(t.messages, m)
      const hi = page.messages.reduce((n, m) => Math.max(n, m.seq), b.after)
      if (!page.has_more || hi >= b.before || page.messages.length === 0) t.breaks = t.breaks.filter((x) => x !== b)
      else b.after = hi
    } finally {
      t.loadingBreak = false
    }
  }

  /** Jump to a message: load it if needed and flash it. False when it cannot be shown. */
  async function reveal(roomId: number, id: number, seq: number): Promise<boolean> {
    if (!find(roomId, id) && !(await loadAround(roomId, seq))) return false
    if (!find(roomId, id)) return false
    flash.value = { id, n: (flash.value?.n ?? 0) + 1 }
    return true
  }

  function dropRoom(roomId: number): void {
    delete timelines[roomId]
    // A page still loading belongs to the dropped timeline; the next load starts afresh.
    loadingLatest.delete(roomId)
  }

  function reset(): void {
    for (const k of Object.keys(timelines)) delete timelines[Number(k)]
    flash.value = null
    loadingLatest.clear()
  }

  return {
    timelines,
    flash,
    timeline,
    loadLatest,
    loadOlder,
    loadAround,
    loadBreak,
    reveal,
    find,
    lastOwn,
    edit,
    removePreview,
    remove,
    toggleReaction,
    applyLogFrame,
    placeAcked,
    applyGap,
    fillHoles,
    fillAllHoles,
    resumeSeqs,
    dropRoom,
    reset,
  }
})
