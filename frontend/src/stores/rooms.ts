import { defineStore } from 'pinia'
import { compareNames } from '@/utils/collate'
import { computed, ref } from 'vue'
import { api, ApiError } from '@/api'
import type { Member, NotifySetting, Room, User, Visibility } from '@/api/types'
import { realtime } from '@/realtime'
import { usePresenceStore } from '@/stores/presence'
import type {
  HelloRoom,
  MemberFrame,
  MemberUpdatedOut,
  PresenceOut,
  RoomFrame,
  RoomPublicOut,
  UnreadOut,
} from '@/realtime/protocol'

interface TypingEntry {
  user: User
  until: number
}

const TYPING_TTL_MS = 6000

function byName(a: Room, b: Room): number {
  return compareNames(a.name, b.name)
}

export const useRoomsStore = defineStore('rooms', () => {
  const byId = ref<Record<number, Room>>({})
  /** Rooms the server refused with `banned` (REST or a socket error): the room view says so. */
  const banned = ref<Record<number, true>>({})
  const loaded = ref(false)
  const loading = ref(false)
  const members = ref<Record<number, Member[]>>({})
  /** A room's bots: `GET members` lists them apart (they are not counted as members). */
  const bots = ref<Record<number, Member[]>>({})
  const typing = ref<Record<number, Record<number, TypingEntry>>>({})
  /** The room on screen (no unread bump for it while the page is visible). */
  const activeRoomId = ref<number | null>(null)
  const lastReadSent: Record<number, number> = {}

  const all = computed(() => Object.values(byId.value))
  const joined = computed(() => all.value.filter((r) => r.is_member).sort(byName))
  /** Joined rooms of kind "room"; direct messages have their own section. */
  const joinedRooms = computed(() => joined.value.filter((r) => r.kind !== 'direct'))
  /** Direct messages, newest activity first; one hidden ("left") comes back with unread news. */
  const directs = computed(() =>
    joined.value
      .filter((r) => r.kind === 'direct' && (!r.hidden || r.unread_count > 0))
      .sort((a, b) => b.last_seq - a.last_seq || b.id - a.id),
  )
  const discover = computed(() =>
    all.value.filter((r) => !r.is_member && r.visibility === 'public' && !r.closed).sort(byName),
  )
  const totalUnread = computed(() => joined.value.reduce((n, r) => n + r.unread_count, 0))
  const totalMentions = computed(() => joined.value.reduce((n, r) => n + (r.mention_count ?? 0), 0))

  function get(id: number): Room | undefined {
    return byId.value[id]
  }

  /**
   * Messages of a room not held yet: one we were just added to (a new DM) whose answer is on
   * its way while its first message already came over the socket. Counted when it arrives,
   * if its answer was read before them (noteMessage skips what its last_seq already covers).
   */
  const early: Record<number, Parameters<typeof noteMessage>[]> = {}
  const EARLY_MAX = 100

  /** Insert or replace a room as seen from our point of view. */
  function put(room: Room): Room {
    usePresenceStore().applyMany(room.dm_presence)
    const prev = byId.value[room.id]
    const next = { ...room, last_seq: Math.max(room.last_seq, prev?.last_seq ?? 0) }
    byId.value[room.id] = next
    const waiting = early[room.id]
    if (waiting) {
      delete early[room.id]
      for (const args of waiting) noteMessage(...args)
    }
    return next
  }

  /** Merge a broadcast room (no per-viewer fields: is_member and unread_count stay ours). */
  function mergeBroadcast(room: RoomPublicOut): void {
    const prev = byId.value[room.id]
    if (room.visibility === 'private' && !prev?.is_member) {
      // Made private (or never ours to see): gone from our lobby unless we are a member.
      if (prev) delete byId.value[room.id]
      else void quietRefresh(room.id)
      return
    }
    if (prev) {
      byId.value[room.id] = { ...prev, ...room, last_seq: Math.max(prev.last_seq, room.last_seq) }
    } else {
      byId.value[room.id] = {
        ...room,
        ...{ is_member: false, unread_count: 0, mention_count: 0, muted: false, muted_until: null },
        ...{ notify: null, hidden: false, last_read_seq: null, members_can_invite: false, members_can_pin: false },
        link_previews: true,
        dm_presence: [],
        // Until the refresh below brings the room's own: no setting, no server default known.
        ...{ retention_days: null, retention_policy: { default_days: null, min_days: 1, max_days: 3650 } },
      }
      void quietRefresh(room.id)
    }
  }

  async function fetchAll(): Promise<void> {
    loading.value = true
    try {
      const [mine, others] = await Promise.all([api.rooms(true), api.rooms(false)])
      const next: Record<number, Room> = {}
      for (const r of others) next[r.id] = { ...r, is_member: false }
      for (const r of mine) next[r.id] = { ...r, is_member: true }
      const presence = usePresenceStore()
      for (const r of mine) presence.applyMany(r.dm_presence)
      for (const r of Object.values(next)) {
        const prev = byId.value[r.id]
        if (prev) r.last_seq = Math.max(r.last_seq, prev.last_seq)
      }
      byId.value = next
      loaded.value = true
    } finally {
      loading.value = false
    }
  }

  /** Refetch one room; drop it when we may no longer see it. */
  /**
   * A refresh a frame asked for, in the background: a failure (the session ended as the
   * frame arrived, say) is not the reader's problem, and a 401 already signs out.
   */
  function quietRefresh(id: number): Promise<Room | null> {
    return refresh(id).catch(() => null)
  }

  async function refresh(id: number): Promise<Room | null> {
    try {
      return put(await api.room(id))
    } catch (err) {
      if (err instanceof ApiError && (err.status === 404 || err.status === 403)) {
        if (err.status === 404) delete byId.value[id]
        if (err.code === 'banned') markBanned(id)
        return null
      }
      throw err
    }
  }

  async function create(data: { name: string; topic?: string; visibility: Visibility }): Promise<Room> {
    return put(await api.createRoom({ topic: '', ...data }))
  }

  async function join(id: number): Promise<Room> {
    try {
      return put(await api.joinRoom(id))
    } catch (err) {
      if (err instanceof ApiError && err.code === 'banned') markBanned(id)
      throw err
    }
  }

  /** The server said `banned` for this room: forget what we held of it, and remember why. */
  function markBanned(id: number): void {
    banned.value[id] = true
    delete byId.value[id]
  }

  /** Rooms I am leaving by my own Leave: their `member.left` needs no asking why. */
  const leavingByMe = new Set<number>()

  /**
   * Taken out of a room by someone else (`member.left` about me, not my own Leave): ask the
   * room once why, so a ban shows as "You were banned" at once, not as "Join" until a
   * reload (issue 27). The frame says only that I left; the members list answers `banned`
   * to a banned person and `not_member`/`not_found` to someone merely removed.
   */
  async function learnWhyRemoved(id: number): Promise<void> {
    if (leavingByMe.delete(id)) return
    try {
      await api.members(id)
    } catch (err) {
      if (err instanceof ApiError && err.code === 'banned') markBanned(id)
    }
  }

  async function leave(id: number): Promise<void> {
    leavingByMe.add(id)
    const room = await api.leaveRoom(id).catch((err: unknown) => {
      leavingByMe.delete(id)
      throw err
    })
    if (room.kind === 'direct') {
      put(room) // a DM is hidden, not left: its people are fixed
      return
    }
    put({ ...room, is_member: false, unread_count: 0, mention_count: 0 })
    if (room.visibility === 'private') delete byId.value[id]
  }

  async function update(
    id: number,
    data: {
      name?: string
      topic?: string
      visibility?: Visibility
      members_can_invite?: boolean
      members_can_pin?: boolean
      link_previews?: boolean
      retention_days?: number | null
    },
  ): Promise<Room> {
    return put(await api.updateRoom(id, data))
  }

  /** Hand the room over to another member; we stay a member. */
  async function transfer(id: number, userId: number): Promise<Room> {
    const room = put(await api.transferRoom(id, userId))
    const list = members.value[id]
    if (list) for (const m of list) m.is_owner = m.user.id === userId
    return room
  }

  async function close(id: number): Promise<void> {
    await api.closeRoom(id)
    const r = byId.value[id]
    if (r) r.closed = true
  }

  async function fetchMembers(id: number): Promise<Member[]> {
    const res = await api.members(id)
    members.value[id] = res.members
    bots.value[id] = res.bots
    usePresenceStore().applyMany(res.members.map((m) => ({ user_id: m.user.id, state: m.state, status: m.status })))
    const r = byId.value[id]
    if (r) {
      r.member_count = res.members.length
      r.online_count = res.members.filter((m) => m.online).length
    }
    return res.members
  }

  async function addMember(id: number, username: string): Promise<void> {
    await api.addMember(id, username)
    await fetchMembers(id)
  }

  async function removeBot(id: number, userId: number): Promise<void> {
    await api.removeMember(id, userId)
    bots.value[id] = (bots.value[id] ?? []).filter((b) => b.user.id !== userId)
  }

  async function removeMember(id: number, userId: number): Promise<void> {
    await api.removeMember(id, userId)
    const list = members.value[id]
    if (list) members.value[id] = list.filter((m) => m.user.id !== userId)
    const r = byId.value[id]
    if (r) r.member_count = Math.max(0, r.member_count - 1)
  }

  /** Open (or make) the direct message with these people. */
  async function openDm(userIds: number[]): Promise<Room> {
    return put({ ...(await api.openDm(userIds)), is_member: true })
  }

  async function setNotify(id: number, notify: NotifySetting): Promise<Room> {
    return put(await api.updateMembership(id, { notify }))
  }

  /** "Mark all as read": the server moves every marker and tells our other sockets. */
  async function markAllRead(): Promise<void> {
    await api.readAll()
    for (const r of joined.value) {
      r.unread_count = 0
      r.mention_count = 0
      r.last_read_seq = r.last_seq
    }
  }

  /** Tell the server we have read up to `seq` (socket when up, REST otherwise). */
  function markRead(id: number, seq: number): void {
    const r = byId.value[id]
    if (r) {
      r.unread_count = 0
      r.mention_count = 0
    }
    if (seq <= 0 || (lastReadSent[id] ?? 0) >= seq) return
    lastReadSent[id] = seq
    if (!realtime.send({ type: 'read', room: id, seq })) {
      api.markRead(id, seq).catch(() => {
        if ((lastReadSent[id] ?? 0) === seq) delete lastReadSent[id]
      })
    }
  }

  // ---- frames ----

  function applyHello(rooms: HelloRoom[]): void {
    for (const h of rooms) {
      // Unread on the server after what we sent: that read was lost with the old socket.
      if (h.unread_count > 0 && (lastReadSent[h.id] ?? 0) >= h.last_seq) delete lastReadSent[h.id]
      const r = byId.value[h.id]
      if (r) {
        r.last_seq = Math.max(r.last_seq, h.last_seq)
        r.unread_count = h.unread_count
        r.mention_count = h.mention_count
        r.last_read_seq = h.last_read_seq
        r.is_member = true
      } else if (loaded.value) {
        void quietRefresh(h.id)
      }
    }
  }

  /**
   * A message arrived (or was acked): bump last_seq and maybe the unread (and mention) badge.
   * `inFlow` false: a reply only in its thread, which the room's unread count does not count
   * (its mention of me does: issue 29), and which says nothing of typing in the room.
   */
  function noteMessage(
    roomId: number,
    seq: number,
    senderId: number,
    fromMe: boolean,
    viewing: boolean,
    mentionsMe = false,
    inFlow = true,
  ): void {
    if (inFlow) clearTyping(roomId, senderId)
    const r = byId.value[roomId]
    if (!r) {
      const waiting = (early[roomId] ??= [])
      if (waiting.length < EARLY_MAX) waiting.push([roomId, seq, senderId, fromMe, viewing, mentionsMe, inFlow])
      return
    }
    if (seq > r.last_seq) {
      r.last_seq = seq
      r.hidden = false // a hidden DM comes back with its next message (so the server says)
      if (!fromMe && !viewing) {
        if (inFlow) r.unread_count += 1
        if (mentionsMe) r.mention_count += 1
      }
    }
  }

  /** An edit, deletion or reaction took `seq` in the room's log (no badge). */
  function noteEvent(roomId: number, seq: number): void {
    const r = byId.value[roomId]
    if (r && seq > r.last_seq) r.last_seq = seq
  }

  /** My read marker moved (on this socket or another of mine): no read below it needs sending. */
  function applyUnread(frame: UnreadOut): void {
    const r = byId.value[frame.room]
    if (r) {
      r.unread_count = frame.count
      r.mention_count = frame.mention_count
      r.last_read_seq = Math.max(r.last_read_seq ?? 0, frame.last_read_seq)
    }
    lastReadSent[frame.room] = Math.max(lastReadSent[frame.room] ?? 0, frame.last_read_seq)
  }

  /** A room's online count (a person's presence is the presence store's). */
  function applyPresence(frame: PresenceOut): void {
    if (frame.room == null || frame.online == null) return
    const r = byId.value[frame.room]
    if (r) r.online_count = frame.online
  }

  function applyRoomFrame(frame: RoomFrame): void {
    mergeBroadcast(frame.room)
    if (frame.type === 'room.closed') {
      const r = byId.value[frame.room.id]
      if (r) r.closed = true
    }
  }

  function applyMemberFrame(frame: MemberFrame, me: User | null): void {
    const roomId = frame.room
    const isMe = me !== null && frame.user.id === me.id
    const r = byId.value[roomId]
    if (r) r.member_count = frame.member_count
    if (frame.type === 'member.joined') {
      if (isMe) {
        if (r) r.is_member = true
        void quietRefresh(roomId)
      }
      const list = members.value[roomId]
      if (list && !list.some((m) => m.user.id === frame.user.id)) {
        const where = usePresenceStore()
        list.push({
          user: frame.user,
          is_owner: false,
          online: true,
          state: where.people[frame.user.id]?.state ?? 'online',
          status: where.statusOf(frame.user.id),
          joined_at: new Date().toISOString(),
          muted: false,
        })
      }
    } else {
      if (isMe) {
        if (r) {
          if (r.visibility === 'private') delete byId.value[roomId]
          else Object.assign(r, { is_member: false, unread_count: 0, mention_count: 0 })
        }
        delete members.value[roomId]
        return
      }
      const list = members.value[roomId]
      if (list) members.value[roomId] = list.filter((m) => m.user.id !== frame.user.id)
    }
  }

  /** A member was muted or unmuted: their row in the member list, and our composer if it is us. */
  function applyMemberUpdated(frame: MemberUpdatedOut, me: User | null): void {
    setMute(frame.room, frame.user.id, frame.muted, frame.muted_until, me)
  }

  function setMute(roomId: number, userId: number, muted: boolean, until: string | null, me: User | null): void {
    const entry = members.value[roomId]?.find((m) => m.user.id === userId)
    if (entry) Object.assign(entry, { muted, muted_until: until })
    const r = byId.value[roomId]
    if (r && me !== null && userId === me.id) Object.assign(r, { muted, muted_until: until })
  }

  function applyTyping(roomId: number, user: User): void {
    if (!typing.value[roomId]) typing.value[roomId] = {}
    const map = typing.value[roomId]!
    const until = Date.now() + TYPING_TTL_MS
    map[user.id] = { user, until }
    setTimeout(() => {
      const m = typing.value[roomId]
      if (m && m[user.id] && m[user.id]!.until <= Date.now()) delete m[user.id]
    }, TYPING_TTL_MS + 50)
  }

  function clearTyping(roomId: number, userId?: number): void {
    const m = typing.value[roomId]
    if (!m) return
    if (userId === undefined) typing.value[roomId] = {}
    else delete m[userId]
  }

  function typingUsers(roomId: number): User[] {
    const m = typing.value[roomId]
    if (!m) return []
    const now = Date.now()
    return Object.values(m)
      .filter((t) => t.until > now)
      .map((t) => t.user)
  }

  function reset(): void {
    byId.value = {}
    banned.value = {}
    loaded.value = false
    members.value = {}
    typing.value = {}
    activeRoomId.value = null
    for (const k of Object.keys(lastReadSent)) delete lastReadSent[Number(k)]
    for (const k of Object.keys(early)) delete early[Number(k)]
  }

  return {
    banned,
    markBanned,
    learnWhyRemoved,
    byId,
    loaded,
    loading,
    members,
    bots,
    typing,
    activeRoomId,
    all,
    joined,
    joinedRooms,
    directs,
    discover,
    totalUnread,
    totalMentions,
    get,
    put,
    fetchAll,
    refresh,
    create,
    join,
    leave,
    update,
    transfer,
    close,
    fetchMembers,
    addMember,
    removeMember,
    removeBot,
    openDm,
    setNotify,
    markAllRead,
    markRead,
    applyHello,
    noteMessage,
    noteEvent,
    applyUnread,
    applyPresence,
    applyRoomFrame,
    applyMemberFrame,
    applyMemberUpdated,
    setMute,
    applyTyping,
    clearTyping,
    typingUsers,
    reset,
  }
})
