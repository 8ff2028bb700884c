/**
 * Threads (issue 29): the views of the threads opened here (a root and its replies, paged),
 * and the threads I follow with their unread replies (the lobby's "Threads" entry).
 *
 * A thread has no event log of its own: its replies take their seqs in the room's log, so
 * the room's resume, gap and hole rules bring them back after a reconnect and every frame
 * of the room is offered here as well (realtime/session.ts, stores/timeline.ts). A reply is
 * placed by id, so one that comes twice (a page, a frame, a replay, my own ack) shows once;
 * a change (edit, deletion, reaction) is applied once per seq.
 */
import { defineStore } from 'pinia'
import { computed, reactive, ref } from 'vue'
import { api } from '@/api'
import type { FollowedThread, Message, ThreadPage, User } from '@/api/types'
import type { MessageDeletedOut, MessageUpdatedOut, ReactionFrame, ServerFrame, ThreadStateOut, TypingOut } from '@/realtime/protocol'
import { useAuthStore } from './auth'
import { applyReaction, applyUpdate, countReply, insertSorted, tombstone } from './messageOps'
import { useOutboxStore } from './outbox'
import { useRoomsStore } from './rooms'
import { useTimelineStore } from './timeline'

/** Replies per request (the server's most). */
export const THREAD_PAGE = 100
/**
 * The `before_seq` that asks for a thread's newest page: past any seq. The largest integer a
 * JavaScript number holds exactly (2^62 would be sent as "4611686018427388000", past the
 * server's largest cursor: a 400). The server's default stays the first page (`after_seq=0`).
 */
export const LATEST_SEQ = Number.MAX_SAFE_INTEGER
/** Pages read back at most to reach a thread's "New replies" line when it opens. */
export const UNREAD_PAGES = 20
const TYPING_TTL_MS = 6000
/** Many replies in a burst ask for the list of followed threads once. */
const LIST_REFRESH_MS = 400

export interface ThreadView {
  rootId: number
  roomId: number
  root: Message | null
  /** Replies held, in seq order. */
  replies: Message[]
  /** Older replies wait on the server, before the oldest held ("Load older replies"). */
  hasOlder: boolean
  loaded: boolean
  loadingOlder: boolean
  /** The room's head when the first page was asked for: changes at or below it are in the page. */
  seqAtLoad: number
  /** Seqs of the changes applied since (a replay or a hole fill is not applied twice). */
  applied: number[]
  /** My read marker in the thread when it was opened (the "New replies" line goes after it). */
  readAtOpen: number
  /** Replies by others after it then. */
  unreadAtOpen: number
}

type ChangeFrame = MessageUpdatedOut | MessageDeletedOut | ReactionFrame

export const useThreadsStore = defineStore('threads', () => {
  const views = reactive<Record<number, ThreadView>>({})
  const loading = new Map<number, Promise<void>>()
  /** The threads I follow, newest activity first (`GET threads`). */
  const followed = ref<FollowedThread[]>([])
  const listLoaded = ref(false)
  /** The thread on screen (its replies are read as they come while the page is visible). */
  const activeThread = ref<number | null>(null)
  /** Per thread: who is typing in it, until when. */
  const typing = reactive<Record<number, Record<number, { user: User; until: number }>>>({})
  let listTimer: ReturnType<typeof setTimeout> | null = null
  const lastReadSent: Record<number, number> = {}

  /** Unread replies in the threads I follow: the "Threads" badge. */
  const unreadTotal = computed(() => followed.value.reduce((n, t) => n + t.unread_count, 0))

  function view(rootId: number): ThreadView | undefined {
    return views[rootId]
  }

  /** Do I follow this thread (as far as known here: the list, or the root's own summary)? */
  function follows(rootId: number): boolean {
    if (followed.value.some((t) => t.root.id === rootId)) return true
    return views[rootId]?.root?.thread_summary?.following === true
  }

  // ---- loading ----

  /**
   * Load a thread's root and its newest replies once: one request (`before_seq=LATEST_SEQ`).
   * Older pages are read on demand (`loadOlder`, `loadBackTo`); newer replies come as frames.
   */
  function open(rootId: number, roomId: number): Promise<void> {
    const existing = views[rootId]
    if (existing?.loaded) return Promise.resolve()
    const inflight = loading.get(rootId)
    if (inflight) return inflight
    if (!existing) {
      views[rootId] = {
        rootId,
        roomId,
        root: null,
        replies: [],
        hasOlder: false,
        loaded: false,
        loadingOlder: false,
        seqAtLoad: 0,
        applied: [],
        readAtOpen: 0,
        unreadAtOpen: 0,
      }
    }
    const v = views[rootId]!
    v.seqAtLoad = useRoomsStore().get(roomId)?.last_seq ?? 0
    const p = (async () => {
      try {
        const first = await readPage(v, LATEST_SEQ)
        if (views[rootId] !== v || !first) return
        v.root = first.root
        v.roomId = first.root.room
        v.readAtOpen = first.last_read_seq
        v.unreadAtOpen = first.unread_count
        v.loaded = true
      } finally {
        if (views[rootId] === v) loading.delete(rootId)
      }
    })()
    loading.set(rootId, p)
    return p
  }

  /** Read the replies before `before` into the view (older ones wait if `has_more`); the answer. */
  async function readPage(v: ThreadView, before: number): Promise<ThreadPage | null> {
    const page = await api.thread(v.rootId, { before_seq: before, limit: THREAD_PAGE })
    if (views[v.rootId] !== v) return null
    if (v.root) placeRoot(v, page.root)
    const outbox = useOutboxStore()
    for (const m of page.replies) {
      outbox.resolve(m)
      insertSorted(v.replies, m, v.loaded)
    }
    v.hasOlder = page.has_more && page.replies.length > 0
    return page
  }

  /** The seq the next older page is asked before: the oldest reply held. */
  function oldestSeq(v: ThreadView): number {
    return v.replies[0]?.seq ?? LATEST_SEQ
  }

  /** The page of replies before the oldest held ("Load older replies"). */
  async function loadOlder(rootId: number): Promise<void> {
    const v = views[rootId]
    if (!v || !v.loaded || !v.hasOlder || v.loadingOlder) return
    v.loadingOlder = true
    try {
      await readPage(v, oldestSeq(v))
    } finally {
      v.loadingOlder = false
    }
  }

  /**
   * Page back until the reply at `seq` is held (a deep link, the "New replies" line), or the
   * thread's first reply is, or `maxPages` pages were read. True when `seq` is within reach.
   */
  async function loadBackTo(rootId: number, seq: number, maxPages = Infinity): Promise<boolean> {
    for (let n = 0; n < maxPages; n++) {
      const v = views[rootId]
      if (!v || !v.loaded) return false
      if (oldestSeq(v) <= seq || !v.hasOlder) return true
      const before = oldestSeq(v)
      if (v.loadingOlder) return false
      await loadOlder(rootId)
      if (views[rootId] !== v || oldestSeq(v) >= before) return false
    }
    const v = views[rootId]
    return !!v && (oldestSeq(v) <= seq || !v.hasOlder)
  }

  /** The thread's panel closed: its view goes (opened again, it is read afresh with its read marker). */
  function close(rootId: number): void {
    delete views[rootId]
    loading.delete(rootId)
    if (activeThread.value === rootId) activeThread.value = null
  }

  /**
   * The socket is back: whatever the room's resume could not bring (a thread opened in a room
   * whose history is not held here) is read again, newer than the newest reply held.
   */
  async function catchUp(): Promise<void> {
    for (const v of Object.values(views)) {
      if (!v.loaded) continue
      const last = v.replies[v.replies.length - 1]
      try {
        let after = last?.seq ?? v.root?.seq ?? 0
        for (;;) {
          const page = await api.thread(v.rootId, { after_seq: after, limit: THREAD_PAGE })
          if (page.root) placeRoot(v, page.root)
          for (const m of page.replies) {
            useOutboxStore().resolve(m)
            insertSorted(v.replies, m, true)
          }
          const hi = page.replies.reduce((n, m) => Math.max(n, m.seq), after)
          if (!page.has_more || hi <= after) break
          after = hi
        }
      } catch (err) {
        console.warn('thread catch-up failed', err)
      }
    }
    if (listLoaded.value) refreshListSoon()
  }

  function placeRoot(v: ThreadView, root: Message): void {
    if (!v.root) v.root = root
    else {
      const list = [v.root]
      insertSorted(list, root, true)
      v.root = list[0]!
    }
  }

  // ---- live ----

  /** A frame of a room's log (live, replayed, or from a hole): place or change what is held. */
  function applyLogFrame(f: ServerFrame): void {
    if (f.type === 'message') {
      applyMessage(f.message, f.seq)
      return
    }
    if (f.type !== 'message.updated' && f.type !== 'message.deleted' && f.type !== 'reaction') return
    const id = f.type === 'message.updated' ? f.message.id : f.type === 'message.deleted' ? f.id : f.message_id
    for (const v of Object.values(views)) {
      if (!v.loaded || f.seq <= v.seqAtLoad || v.applied.includes(f.seq)) continue
      const held = holding(v, id)
      if (held.length === 0) continue
      v.applied.push(f.seq)
      for (const m of held) applyChange(m, f)
    }
    if (f.type === 'message.updated') noteRootSummary(f.message)
  }

  function applyChange(m: Message, f: ChangeFrame): void {
    if (f.type === 'reaction') {
      if (m.deleted) return
      const me = useAuthStore().user
      applyReaction(m, f.emoji, f.op, f.user, me !== null && f.user.id === me.id)
    } else applyUpdate(m, f)
  }

  /** A message of a room: a reply goes into its thread's view, and the followed list hears of it. */
  function applyMessage(msg: Message, seq: number): void {
    const rootId = msg.thread
    if (!rootId) return
    const v = views[rootId]
    if (v?.loaded) insertSorted(v.replies, { ...msg, seq }, true)
    // The root, wherever it is held here, counts the reply now (its summary event may come later).
    for (const root of copies(rootId)) countReply(root, msg, seq)
    const item = followed.value.find((t) => t.root.id === rootId)
    if (item) countReply(item.root, msg, seq)
    clearTyping(rootId, msg.sender.id)
    noteReply(rootId, msg)
  }

  /** My send was acknowledged: show it in its thread now (the frame that follows changes nothing). */
  function placeAcked(msg: Message): void {
    const v = msg.thread ? views[msg.thread] : undefined
    if (v?.loaded) insertSorted(v.replies, { ...msg }, true)
  }

  /** A reply in `rootId`: the followed list's counts and order follow, a new follow refetches it. */
  function noteReply(rootId: number, msg: Message): void {
    const me = useAuthStore().user
    const fromMe = me !== null && msg.sender.id === me.id
    const at = followed.value.findIndex((t) => t.root.id === rootId)
    if (at === -1) {
      // Replying, being mentioned, or a reply to my own message makes me a follower (the server decides).
      const mentionsMe = me !== null && (msg.mentions.includes(me.id) || msg.mentions_room)
      const rootMine = me !== null && views[rootId]?.root?.sender.id === me.id
      if (listLoaded.value && (fromMe || mentionsMe || rootMine)) refreshListSoon()
      return
    }
    const item = followed.value[at]!
    if (!item.last_reply_at || msg.created_at > item.last_reply_at) item.last_reply_at = msg.created_at
    if (!fromMe && !isReading(rootId)) item.unread_count += 1
    followed.value.splice(at, 1)
    followed.value.unshift(item)
  }

  /** A root's `message.updated` carries its summary: the followed list's copy of the root follows. */
  function noteRootSummary(msg: Message): void {
    const item = followed.value.find((t) => t.root.id === msg.id)
    if (!item) return
    const list = [item.root]
    insertSorted(list, msg, true)
    item.root = list[0]!
  }

  function isReading(rootId: number): boolean {
    const visible = typeof document === 'undefined' || document.visibilityState !== 'hidden'
    return activeThread.value === rootId && visible
  }

  // ---- typing ----

  function applyTyping(frame: TypingOut): void {
    const rootId = frame.thread
    if (!rootId) return
    if (!typing[rootId]) typing[rootId] = {}
    const until = Date.now() + TYPING_TTL_MS
    typing[rootId]![frame.user.id] = { user: frame.user, until }
    setTimeout(() => {
      const m = typing[rootId]
      if (m?.[frame.user.id] && m[frame.user.id]!.until <= Date.now()) delete m[frame.user.id]
    }, TYPING_TTL_MS + 50)
  }

  function clearTyping(rootId: number, userId: number): void {
    const m = typing[rootId]
    if (m) delete m[userId]
  }

  function typingUsers(rootId: number): User[] {
    const now = Date.now()
    return Object.values(typing[rootId] ?? {})
      .filter((t) => t.until > now)
      .map((t) => t.user)
  }

  // ---- following and reading ----

  /**
   * `thread.state`: my standing in a thread changed (followed, unfollowed, read), here or on
   * another device of mine. The list and every held copy of the root say so.
   */
  function applyState(frame: ThreadStateOut): void {
    setFollowingLocally(frame.root, frame.following)
    if (frame.last_read_seq > (lastReadSent[frame.root] ?? 0)) lastReadSent[frame.root] = frame.last_read_seq
    const item = followed.value.find((t) => t.root.id === frame.root)
    if (!frame.following) {
      followed.value = followed.value.filter((t) => t.root.id !== frame.root)
      return
    }
    if (item) {
      item.unread_count = frame.unread_count
      item.last_read_seq = frame.last_read_seq
    } else if (listLoaded.value) refreshListSoon()
  }

  /** Every copy of the root held here says whether I follow it. */
  function setFollowingLocally(rootId: number, following: boolean): void {
    for (const m of copies(rootId)) if (m.thread_summary) m.thread_summary = { ...m.thread_summary, following }
    for (const t of followed.value) {
      if (t.root.id === rootId && t.root.thread_summary) t.root.thread_summary = { ...t.root.thread_summary, following }
    }
    // The room's copy of the root (its summary under the message in the room's flow).
    for (const t of Object.values(useTimelineStore().timelines)) {
      const m = t.messages.find((x) => x.id === rootId)
      if (m?.thread_summary) m.thread_summary = { ...m.thread_summary, following }
    }
  }

  /**
   * Read the threads I follow. The list is the truth for threads with replies: an open
   * thread's root learns from it that replying (or a mention) made me a follower, which
   * no frame says (the server keeps the send path free of it).
   */
  async function loadList(): Promise<void> {
    const page = await api.threads()
    followed.value = page.threads
    listLoaded.value = true
    const ids = new Set(page.threads.map((t) => t.root.id))
    for (const v of Object.values(views)) {
      const f = v.root?.thread_summary?.following
      if (v.root?.thread_summary && f !== ids.has(v.rootId)) setFollowingLocally(v.rootId, ids.has(v.rootId))
    }
  }

  function refreshListSoon(): void {
    if (listTimer) return
    listTimer = setTimeout(() => {
      listTimer = null
      loadList().catch((err: unknown) => console.warn('threads list failed', err))
    }, LIST_REFRESH_MS)
  }

  /** Follow or stop following a thread; the root's `following` and the list say so at once. */
  async function setFollowing(rootId: number, on: boolean): Promise<boolean> {
    const res = on ? await api.follow(rootId) : await api.unfollow(rootId)
    setFollowingLocally(rootId, res.following)
    if (!res.following) followed.value = followed.value.filter((t) => t.root.id !== rootId)
    else if (listLoaded.value) refreshListSoon()
    return res.following
  }

  /**
   * The thread was read up to `seq` (its newest reply on screen): its unread count goes at
   * once, and the server hears of it once per seq (a `thread.state` confirms, to my other tabs too).
   */
  function markRead(rootId: number, seq: number): void {
    const item = followed.value.find((t) => t.root.id === rootId)
    if (item) {
      item.unread_count = 0
      if (seq > item.last_read_seq) item.last_read_seq = seq
    }
    if (seq <= 0 || (lastReadSent[rootId] ?? 0) >= seq) return
    lastReadSent[rootId] = seq
    api.readThread(rootId, seq).catch(() => {
      if ((lastReadSent[rootId] ?? 0) === seq) delete lastReadSent[rootId]
    })
  }

  // ---- what is held ----

  function holding(v: ThreadView, id: number): Message[] {
    const out: Message[] = []
    if (v.root?.id === id) out.push(v.root)
    const r = v.replies.find((m) => m.id === id)
    if (r) out.push(r)
    return out
  }

  /** Every copy of a message held in the thread views. */
  function copies(id: number): Message[] {
    return Object.values(views).flatMap((v) => holding(v, id))
  }

  function find(id: number): Message | undefined {
    return copies(id)[0]
  }

  /** My newest reply in the thread that can still be edited (↑ in the thread's empty composer). */
  function lastOwn(rootId: number): Message | undefined {
    const me = useAuthStore().user
    const list = views[rootId]?.replies ?? []
    for (let i = list.length - 1; i >= 0; i--) {
      const m = list[i]!
      if (me && m.sender.id === me.id && !m.deleted) return m
    }
    return undefined
  }

  /** I deleted a message: every copy shows the tombstone now. */
  function markDeleted(id: number): void {
    for (const m of copies(id)) Object.assign(m, tombstone())
  }

  /** Left a room (or banned from it): its threads are not mine to show any more. */
  function dropRoom(roomId: number): void {
    for (const [id, v] of Object.entries(views)) if (v.roomId === roomId) delete views[Number(id)]
    followed.value = followed.value.filter((t) => t.room !== roomId)
  }

  function reset(): void {
    for (const k of Object.keys(views)) delete views[Number(k)]
    for (const k of Object.keys(typing)) delete typing[Number(k)]
    for (const k of Object.keys(lastReadSent)) delete lastReadSent[Number(k)]
    loading.clear()
    followed.value = []
    listLoaded.value = false
    activeThread.value = null
    if (listTimer) clearTimeout(listTimer)
    listTimer = null
  }

  return {
    views,
    followed,
    listLoaded,
    activeThread,
    typing,
    unreadTotal,
    view,
    follows,
    open,
    close,
    loadOlder,
    loadBackTo,
    catchUp,
    applyLogFrame,
    placeAcked,
    applyTyping,
    typingUsers,
    applyState,
    loadList,
    setFollowing,
    markRead,
    copies,
    find,
    lastOwn,
    markDeleted,
    dropRoom,
    reset,
  }
})
