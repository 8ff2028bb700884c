/**
 * Wires the one socket to the stores: starts it for a signed-in user,
 * routes every server frame to the store that owns it, stops it on sign-out.
 */
import { useAuthStore } from '@/stores/auth'
import { useComposerStore } from '@/stores/composer'
import { useConnectionStore } from '@/stores/connection'
import { useNoticesStore } from '@/stores/notices'
import { useEphemeralStore } from '@/stores/ephemeral'
import { useOutboxStore } from '@/stores/outbox'
import { inRoomFlow } from '@/stores/messageOps'
import { usePinsStore } from '@/stores/pins'
import { usePresenceStore } from '@/stores/presence'
import { useReadsStore } from '@/stores/reads'
import { useRoomsStore } from '@/stores/rooms'
import { useSavedStore } from '@/stores/saved'
import { useThreadsStore } from '@/stores/threads'
import { useTimelineStore } from '@/stores/timeline'
import { api, ApiError } from '@/api'
import { notifications } from '@/composables/useNotifications'
import { currentLocale } from '@/i18n'
import { realtime } from './index'
import { applyUserUpdated } from './userUpdates'
import { changesConnectionLost, settleDone, settleError } from './changes'
import { WIRE_FORM } from './compact'
import { defaultSocketUrl, SignedOutError, type WebSocketFactory } from './connection'
import type { ServerFrame } from './protocol'

function isViewing(roomId: number): boolean {
  const rooms = useRoomsStore()
  const visible = typeof document === 'undefined' || document.visibilityState !== 'hidden'
  return rooms.activeRoomId === roomId && visible
}

/**
 * A frame of a type this page does not know. `frame: never` makes every type declared in
 * protocol.gen.ts a compile error (vue-tsc) until `dispatchFrame` routes it; at run time a
 * newer server's frame lands here and is ignored, said in the console rather than silently.
 */
function unknownFrame(frame: never): void {
  console.warn('realtime: ignored a frame of unknown type', (frame as { type?: unknown }).type)
}

/** Route one server frame to the stores. */
export function dispatchFrame(frame: ServerFrame): void {
  const auth = useAuthStore()
  const rooms = useRoomsStore()
  const timeline = useTimelineStore()
  const outbox = useOutboxStore()
  const threads = useThreadsStore()
  const me = auth.user
  switch (frame.type) {
    case 'hello':
      auth.user = frame.user
      rooms.applyHello(frame.rooms)
      break
    case 'message': {
      timeline.applyLogFrame(frame)
      threads.applyLogFrame(frame)
      const m = frame.message
      const fromMe = me !== null && m.sender.id === me.id
      const mentionsMe = me !== null && (m.mentions.includes(me.id) || m.mentions_room)
      // A mention in a thread is read there: the room's count does not wait for it while the thread is open.
      const viewing = isViewing(frame.room) && (inRoomFlow(m) || threads.activeThread === m.thread)
      rooms.noteMessage(frame.room, frame.seq, m.sender.id, fromMe, viewing, mentionsMe, inRoomFlow(m))
      notifications.onMessage(frame)
      break
    }
    case 'message.updated':
    case 'message.deleted':
    case 'reaction':
      timeline.applyLogFrame(frame)
      threads.applyLogFrame(frame)
      rooms.noteEvent(frame.room, frame.seq)
      if (frame.type === 'message.updated') usePinsStore().applyUpdated(frame.room, frame.message)
      if (frame.type === 'message.deleted') {
        usePinsStore().drop(frame.room, frame.id)
        useSavedStore().applyDeleted(frame.id)
      }
      break
    case 'message.pinned':
      // The timeline hands it to the pins store in seq order; without a timeline here, directly.
      if (!timeline.applyLogFrame(frame)) usePinsStore().applyPinned(frame)
      rooms.noteEvent(frame.room, frame.seq)
      break
    case 'saved.updated':
      useSavedStore().applySaved(frame)
      break
    case 'done':
      settleDone(frame)
      break
    case 'gap':
      timeline.applyGap(frame)
      break
    case 'ack': {
      const acked = outbox.applyAck(frame)
      if (acked) timeline.placeAcked(acked)
      rooms.noteMessage(frame.room, frame.seq, me?.id ?? 0, true, true)
      break
    }
    case 'typing':
      if (me && frame.user.id === me.id) break
      // Typing in a thread shows in that thread only (issue 29).
      if (frame.thread) threads.applyTyping(frame)
      else rooms.applyTyping(frame.room, frame.user)
      break
    case 'thread.state':
      threads.applyState(frame)
      break
    case 'presence':
      if (!usePresenceStore().applyFrame(frame)) rooms.applyPresence(frame)
      break
    case 'read.updated':
      useReadsStore().applyFrame(frame)
      break
    case 'unread':
      rooms.applyUnread(frame)
      break
    case 'room.created':
    case 'room.updated':
    case 'room.closed':
      rooms.applyRoomFrame(frame)
      break
    case 'member.joined':
    case 'member.left':
      rooms.applyMemberFrame(frame, me)
      if (frame.type === 'member.left' && me && frame.user.id === me.id) {
        timeline.dropRoom(frame.room)
        threads.dropRoom(frame.room)
        void rooms.learnWhyRemoved(frame.room)
      }
      break
    case 'member.updated':
      rooms.applyMemberUpdated(frame, me)
      break
    case 'notice':
      // A command's answer for me only: it settles the send that asked (nothing was stored).
      if (typeof frame.ref === 'string') outbox.settleCommand(frame.ref)
      useEphemeralStore().add(frame)
      break
    case 'user.updated':
      applyUserUpdated(frame.user)
      break
    case 'error':
      if (frame.code === 'banned') {
        // Refused for a ban (a resume, a send): the room view says so instead of "not found".
        const room = typeof frame.ref === 'number' ? frame.ref : typeof frame.ref === 'string' ? outbox.roomOf(frame.ref) : undefined
        if (room !== undefined) {
          timeline.dropRoom(room)
          threads.dropRoom(room)
          rooms.markBanned(room)
        }
      }
      if (typeof frame.ref === 'number') {
        // A room id: `resume` named a room that is no longer ours. Stop resuming it and re-read it.
        timeline.dropRoom(frame.ref)
        void rooms.refresh(frame.ref).catch(() => undefined)
      } else if (!settleError(frame) && !outbox.applyError(frame)) {
        useNoticesStore().push(frame.message || frame.code)
      }
      break
    case 'ping':
    case 'pong':
      // The connection answers and consumes these (realtime/connection.ts); nothing to route.
      break
    default:
      unknownFrame(frame)
  }
}

/**
 * `/ws/?ticket=…` with a fresh one-time ticket (`POST auth/ws-ticket`), asked for before
 * every (re)connect: no lasting secret in a URL. A 401 means signed out; a network error,
 * 429 or 5xx rejects as it is and the connection waits out its backoff.
 */
export async function ticketSocketUrl(base: string = defaultSocketUrl()): Promise<string> {
  try {
    const { ticket } = await api.wsTicket()
    // `lang`: the server's error and notice frames in the UI language (read at each connect).
    // `wire`: message frames in the compact form (issue 34); parseFrame expands them.
    const query = `ticket=${encodeURIComponent(ticket)}&lang=${encodeURIComponent(currentLocale())}`
    return `${base}?${query}&wire=${WIRE_FORM}`
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) throw new SignedOutError(err.message, err.reason)
    throw err
  }
}

let detach: (() => void) | null = null

export interface StartOptions {
  createSocket?: WebSocketFactory
  /** A fixed URL (tests); by default every attempt asks for a ticket. */
  url?: string | (() => string | Promise<string>)
}

/** Open the app's socket (idempotent). */
export function startRealtime(opts: StartOptions = {}): void {
  if (realtime.connection) return
  const conn = useConnectionStore()
  const timeline = useTimelineStore()
  const outbox = useOutboxStore()
  const rooms = useRoomsStore()
  const auth = useAuthStore()
  let readyOnce = false
  realtime.start({
    url: opts.url ?? (() => ticketSocketUrl()),
    createSocket: opts.createSocket,
    getResumeSeqs: () => timeline.resumeSeqs(),
    onFrame: dispatchFrame,
    onReady: (_hello, gen) => {
      outbox.flush(gen)
      timeline.fillAllHoles()
      // The lobby may have changed while we were away.
      if (readyOnce && rooms.loaded) void rooms.fetchAll().catch(() => undefined)
      // Open threads read what the room's resume may not bring; the followed list its counts.
      if (readyOnce) void useThreadsStore().catchUp()
      readyOnce = true
    },
    onStateChange: (state) => {
      conn.set(state, realtime.connection?.nextRetryAt ?? null)
      if (state !== 'online') {
        outbox.connectionLost()
        changesConnectionLost()
      }
    },
    onAuthLost: (reason) => auth.sessionLost(reason),
  })
  if (typeof window !== 'undefined') {
    const online = () => realtime.reconnectNow()
    const offline = () => realtime.networkLost()
    const visible = () => {
      if (document.visibilityState === 'visible') realtime.reconnectNow()
    }
    window.addEventListener('online', online)
    window.addEventListener('offline', offline)
    document.addEventListener('visibilitychange', visible)
    detach = () => {
      window.removeEventListener('online', online)
      window.removeEventListener('offline', offline)
      document.removeEventListener('visibilitychange', visible)
    }
  }
}

/** Close the socket and forget everything of the signed-out user. */
export function stopRealtime(): void {
  detach?.()
  detach = null
  realtime.stop()
  useConnectionStore().reset()
  useOutboxStore().reset()
  useTimelineStore().reset()
  useComposerStore().reset()
  useThreadsStore().reset()
  useRoomsStore().reset()
  usePinsStore().reset()
  useSavedStore().reset()
  usePresenceStore().reset()
  useReadsStore().reset()
}
