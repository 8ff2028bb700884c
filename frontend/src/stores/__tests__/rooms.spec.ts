import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { startRealtime, stopRealtime } from '@/realtime/session'
import { useAuthStore } from '@/stores/auth'
import { useRoomsStore } from '@/stores/rooms'
import { useTimelineStore } from '@/stores/timeline'
import { useNoticesStore } from '@/stores/notices'
import { useOutboxStore } from '@/stores/outbox'
import { alice, bob, factory, FakeWebSocket, flush, jsonResponse, makeMessage, makeRoom, messageFrame, mockFetch } from '@/test-utils/fakes'
import { serverFrame } from '@/test-utils/frames'
import type { RoomPublicOut } from '@/realtime/protocol'

/** A room as the lobby broadcasts carry it (no viewer fields). */
function broadcast(over: Partial<RoomPublicOut>): RoomPublicOut {
  return { ...serverFrame('room.created').room, ...over }
}

describe('rooms store: live lobby', () => {
  let http: ReturnType<typeof mockFetch>
  beforeEach(() => {
    FakeWebSocket.reset()
    setActivePinia(createPinia())
    http = mockFetch()
    http.route('GET rooms', (url) =>
      url.searchParams.get('joined') === 'true'
        ? [makeRoom({ id: 1, name: 'general' })]
        : [makeRoom({ id: 2, name: 'random', owner: bob, is_member: false })],
    )
    useAuthStore().user = alice
    startRealtime({ createSocket: factory, url: 'ws://test/ws/' })
  })
  afterEach(() => stopRealtime())

  it('lists my rooms and the public rooms I can join', async () => {
    const rooms = useRoomsStore()
    await rooms.fetchAll()
    expect(rooms.joined.map((r) => r.name)).toEqual(['general'])
    expect(rooms.discover.map((r) => r.name)).toEqual(['random'])
  })

  it('adds, updates and closes rooms live from broadcasts, keeping my membership and unread count', async () => {
    const rooms = useRoomsStore()
    await rooms.fetchAll()
    http.route('GET rooms/3', () => makeRoom({ id: 3, name: 'books', owner: bob, is_member: false }))
    FakeWebSocket.last.hello(alice)
    FakeWebSocket.last.receive(serverFrame('room.created', { room: broadcast({ id: 3, name: 'books', owner: bob }) }))
    expect(rooms.discover.map((r) => r.name)).toEqual(['books', 'random'])
    expect(rooms.get(3)!.is_member).toBe(false)
    await vi.waitFor(() => expect(http.callsTo('GET rooms/3')).toHaveLength(1))

    rooms.get(1)!.unread_count = 2
    FakeWebSocket.last.receive(serverFrame('room.updated', { room: broadcast({ id: 1, name: 'general', topic: 'hi', owner: alice }) }))
    expect(rooms.get(1)!.topic).toBe('hi')
    expect(rooms.get(1)!.is_member).toBe(true)
    expect(rooms.get(1)!.unread_count).toBe(2)

    FakeWebSocket.last.receive(serverFrame('room.closed', { room: broadcast({ id: 2, name: 'random', owner: bob, closed: true }) }))
    expect(rooms.get(2)!.closed).toBe(true)
    expect(rooms.discover.map((r) => r.name)).toEqual(['books'])
  })

  it('adds a room when I am added and removes it when I am removed', async () => {
    const rooms = useRoomsStore()
    await rooms.fetchAll()
    const priv = makeRoom({ id: 5, name: 'secret', visibility: 'private', owner: bob, is_member: true })
    http.route('GET rooms/5', () => priv)
    FakeWebSocket.last.hello(alice)
    FakeWebSocket.last.receive(serverFrame('member.joined', { room: 5, user: alice, member_count: 2 }))
    await vi.waitFor(() => expect(rooms.joined.map((r) => r.name)).toEqual(['general', 'secret']))
    FakeWebSocket.last.receive(serverFrame('member.left', { room: 5, user: alice, member_count: 1 }))
    expect(rooms.get(5)).toBeUndefined()
  })

  it("counts a new DM's first message that came before the room's own answer", async () => {
    const rooms = useRoomsStore()
    await rooms.fetchAll()
    FakeWebSocket.last.hello(alice)
    // Bob opens a DM with me and writes at once: the answer about the room was read before the
    // message committed, and the message frame is here before that answer.
    let answer: (room: unknown) => void = () => {}
    http.route('GET rooms/7', () => new Promise((resolve) => (answer = resolve)))
    FakeWebSocket.last.receive(serverFrame('member.joined', { room: 7, user: alice, member_count: 2 }))
    FakeWebSocket.last.receive(messageFrame(makeMessage(4, { room: 7, sender: bob })))
    answer(makeRoom({ id: 7, name: 'dm', kind: 'direct', owner: bob, is_member: true, last_seq: 3, unread_count: 0 }))
    await vi.waitFor(() => expect(rooms.get(7)?.unread_count).toBe(1))
    expect(rooms.get(7)!.last_seq).toBe(4)
    // An answer read after the message already counts it: nothing is counted twice.
    http.route('GET rooms/8', () => makeRoom({ id: 8, kind: 'direct', owner: bob, is_member: true, last_seq: 4, unread_count: 1 }))
    FakeWebSocket.last.receive(serverFrame('member.joined', { room: 8, user: alice, member_count: 2 }))
    FakeWebSocket.last.receive(messageFrame(makeMessage(4, { room: 8, sender: bob })))
    await vi.waitFor(() => expect(rooms.get(8)?.unread_count).toBe(1))
    await flush()
    expect(rooms.get(8)!.unread_count).toBe(1)
  })

  it('follows mutes live: the member row, and my own room when I am the one muted', async () => {
    const rooms = useRoomsStore()
    await rooms.fetchAll()
    http.route('GET rooms/1/members', () => ({
      members: [
        { user: alice, is_owner: false, online: true, joined_at: '2026-01-01T00:00:00Z', muted: false },
        { user: bob, is_owner: true, online: true, joined_at: '2026-01-01T00:00:00Z', muted: false },
      ],
    }))
    await rooms.fetchMembers(1)
    FakeWebSocket.last.hello(alice)
    const until = serverFrame('member.updated').muted_until
    FakeWebSocket.last.receive(serverFrame('member.updated', { room: 1, user: alice }))
    expect(rooms.get(1)!.muted).toBe(true)
    expect(rooms.get(1)!.muted_until).toBe(until)
    expect(rooms.members[1]!.find((m) => m.user.id === alice.id)!.muted).toBe(true)
    FakeWebSocket.last.receive(serverFrame('member.updated', { room: 1, user: bob, muted: false, muted_until: null }))
    expect(rooms.get(1)!.muted).toBe(true)
    FakeWebSocket.last.receive(serverFrame('member.updated', { room: 1, user: alice, muted: false, muted_until: null }))
    expect(rooms.get(1)!.muted).toBe(false)
    expect(rooms.members[1]!.every((m) => !m.muted)).toBe(true)
  })

  it('tracks presence, typing and other members joining and leaving', async () => {
    const rooms = useRoomsStore()
    await rooms.fetchAll()
    http.route('GET rooms/1/members', () => ({
      members: [{ user: alice, is_owner: true, online: true, joined_at: '2026-01-01T00:00:00Z' }],
    }))
    await rooms.fetchMembers(1)
    FakeWebSocket.last.hello(alice)
    FakeWebSocket.last.receive(serverFrame('presence', { room: 1, online: 4 }))
    expect(rooms.get(1)!.online_count).toBe(4)
    FakeWebSocket.last.receive(serverFrame('typing', { room: 1, user: bob }))
    expect(rooms.typingUsers(1).map((u) => u.id)).toEqual([bob.id])
    FakeWebSocket.last.receive(serverFrame('typing', { room: 1, user: alice }))
    expect(rooms.typingUsers(1).map((u) => u.id)).toEqual([bob.id])

    // The server counts the members: its count wins over ours (here 1, from the list).
    const joined = serverFrame('member.joined', { room: 1, member_count: 7 })
    FakeWebSocket.last.receive(joined)
    expect(rooms.get(1)!.member_count).toBe(7)
    expect(rooms.members[1]!.map((m) => m.user.id)).toEqual([alice.id, joined.user.id])
    FakeWebSocket.last.receive(serverFrame('member.left', { room: 1, user: joined.user, member_count: 6 }))
    expect(rooms.get(1)!.member_count).toBe(6)
    expect(rooms.members[1]!.map((m) => m.user.id)).toEqual([alice.id])
  })

  it('marks read over the socket when it is up, over REST otherwise, once per seq', async () => {
    const rooms = useRoomsStore()
    await rooms.fetchAll()
    http.route('POST rooms/1/read', () => undefined)
    rooms.get(1)!.unread_count = 3
    rooms.markRead(1, 4) // socket not ready yet
    await vi.waitFor(() => expect(http.callsTo('POST rooms/1/read')).toHaveLength(1))
    expect(http.callsTo('POST rooms/1/read')[0]!.body).toEqual({ seq: 4 })
    expect(rooms.get(1)!.unread_count).toBe(0)
    FakeWebSocket.last.hello(alice)
    rooms.markRead(1, 4)
    rooms.markRead(1, 6)
    expect(FakeWebSocket.last.sentOfType('read')).toEqual([{ type: 'read', room: 1, seq: 6 }])
  })

  it('does not send a read below the marker another of my tabs already moved', async () => {
    const rooms = useRoomsStore()
    await rooms.fetchAll()
    FakeWebSocket.last.hello(alice)
    rooms.get(1)!.unread_count = 5
    FakeWebSocket.last.receive(serverFrame('unread', { room: 1, count: 1, last_read_seq: 6 }))
    expect(rooms.get(1)!.unread_count).toBe(1)
    rooms.markRead(1, 5)
    rooms.markRead(1, 6)
    expect(FakeWebSocket.last.sentOfType('read')).toEqual([])
    rooms.markRead(1, 7)
    expect(FakeWebSocket.last.sentOfType('read')).toEqual([{ type: 'read', room: 1, seq: 7 }])
  })

  it('an error naming a room (resume of a room no longer mine) stops resuming it and re-reads it', async () => {
    const rooms = useRoomsStore()
    const timeline = useTimelineStore()
    await rooms.fetchAll()
    http.route('GET rooms/1/messages', () => ({ messages: [], has_more: false }))
    http.route('GET rooms/1', () => new Response(JSON.stringify({ error: { code: 'not_found', message: 'gone' } }), { status: 404 }))
    await timeline.loadLatest(1)
    FakeWebSocket.last.hello(alice)
    expect(FakeWebSocket.last.sentOfType('resume')).toEqual([{ type: 'resume', rooms: { '1': 0 } }])
    FakeWebSocket.last.receive(serverFrame('error:room_ref', { ref: 1 }))
    expect(timeline.resumeSeqs()).toEqual({})
    await vi.waitFor(() => expect(rooms.get(1)).toBeUndefined())
    expect(useNoticesStore().items).toEqual([])
  })

  it('a socket closed with 4003 signs the user out', () => {
    FakeWebSocket.last.hello(alice)
    FakeWebSocket.last.serverClose(4003)
    expect(useAuthStore().user).toBeNull()
  })
})

describe('rooms store: banned', () => {
  let http: ReturnType<typeof mockFetch>
  const refusal = () => jsonResponse(403, { error: { code: 'banned', message: 'You are banned from this room.', fields: {} } })
  beforeEach(() => {
    FakeWebSocket.reset()
    setActivePinia(createPinia())
    http = mockFetch()
    useAuthStore().user = alice
    startRealtime({ createSocket: factory, url: 'ws://test/ws/' })
  })
  afterEach(() => stopRealtime())

  it('is remembered from a REST refusal (open, join), not taken for "not found"', async () => {
    http.route('GET rooms/7', refusal)
    http.route('POST rooms/8/join', refusal)
    const rooms = useRoomsStore()
    expect(await rooms.refresh(7)).toBeNull()
    await expect(rooms.join(8)).rejects.toMatchObject({ code: 'banned' })
    expect(rooms.banned).toEqual({ 7: true, 8: true })
  })

  it('is learnt at once when someone else takes me out, not after a reload', async () => {
    http.route('GET rooms/6/members', refusal)
    http.route('GET rooms/9/members', () =>
      jsonResponse(403, { error: { code: 'not_member', message: 'Join the room first.', fields: {} } }),
    )
    FakeWebSocket.last.hello(alice)
    FakeWebSocket.last.receive(serverFrame('member.left', { room: 6, user: alice, member_count: 1 }))
    FakeWebSocket.last.receive(serverFrame('member.left', { room: 9, user: alice, member_count: 1 }))
    await vi.waitFor(() => expect(useRoomsStore().banned).toEqual({ 6: true }))
    expect(http.callsTo('GET rooms/9/members')).toHaveLength(1)
  })

  it('is not asked about after my own Leave', async () => {
    http.route('POST rooms/3/leave', () => makeRoom({ id: 3, is_member: false }))
    const rooms = useRoomsStore()
    await rooms.leave(3)
    FakeWebSocket.last.hello(alice)
    FakeWebSocket.last.receive(serverFrame('member.left', { room: 3, user: alice, member_count: 1 }))
    await flush()
    expect(http.callsTo('GET rooms/3/members')).toHaveLength(0)
  })

  it('is remembered from the socket\'s error frame for a send of ours', () => {
    FakeWebSocket.last.hello(alice)
    const o = useOutboxStore().send(4, 'still here?')
    FakeWebSocket.last.receive(serverFrame('error', { code: 'banned', message: 'You are banned from this room.', ref: o.client_id }))
    expect(useRoomsStore().banned[4]).toBe(true)
  })
})
