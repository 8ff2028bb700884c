import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { startRealtime, stopRealtime } from '@/realtime/session'
import { useAuthStore } from '@/stores/auth'
import { useRoomsStore } from '@/stores/rooms'
import { alice, bob, factory, FakeWebSocket, makeRoom, mockFetch } from '@/test-utils/fakes'

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

  it('adds, updates and closes rooms live from broadcasts without trusting their is_member', async () => {
    const rooms = useRoomsStore()
    await rooms.fetchAll()
    http.route('GET rooms/3', () => makeRoom({ id: 3, name: 'books', owner: bob, is_member: false }))
    FakeWebSocket.last.hello(alice)
    FakeWebSocket.last.receive({ type: 'room.created', room: makeRoom({ id: 3, name: 'books', owner: bob, is_member: true }) })
    expect(rooms.discover.map((r) => r.name)).toEqual(['books', 'random'])
    await vi.waitFor(() => expect(http.callsTo('GET rooms/3')).toHaveLength(1))

    FakeWebSocket.last.receive({ type: 'room.updated', room: makeRoom({ id: 1, name: 'general', topic: 'hi', is_member: false, unread_count: 9 }) })
    expect(rooms.get(1)!.topic).toBe('hi')
    expect(rooms.get(1)!.is_member).toBe(true)
    expect(rooms.get(1)!.unread_count).toBe(0)

    FakeWebSocket.last.receive({ type: 'room.closed', room: makeRoom({ id: 2, name: 'random', owner: bob, is_member: false }) })
    expect(rooms.get(2)!.closed).toBe(true)
    expect(rooms.discover.map((r) => r.name)).toEqual(['books'])
  })

  it('adds a room when I am added and removes it when I am removed', async () => {
    const rooms = useRoomsStore()
    await rooms.fetchAll()
    const priv = makeRoom({ id: 5, name: 'secret', visibility: 'private', owner: bob, is_member: true })
    http.route('GET rooms/5', () => priv)
    FakeWebSocket.last.hello(alice)
    FakeWebSocket.last.receive({ type: 'member.joined', room: priv, user: alice })
    await vi.waitFor(() => expect(rooms.joined.map((r) => r.name)).toEqual(['general', 'secret']))
    FakeWebSocket.last.receive({ type: 'member.left', room: priv, user: alice })
    expect(rooms.get(5)).toBeUndefined()
  })

  it('tracks presence, typing and other members joining', async () => {
    const rooms = useRoomsStore()
    await rooms.fetchAll()
    FakeWebSocket.last.hello(alice)
    FakeWebSocket.last.receive({ type: 'presence', room: 1, online: 4 })
    expect(rooms.get(1)!.online_count).toBe(4)
    FakeWebSocket.last.receive({ type: 'typing', room: 1, user: bob })
    expect(rooms.typingUsers(1).map((u) => u.id)).toEqual([bob.id])
    FakeWebSocket.last.receive({ type: 'typing', room: 1, user: alice })
    expect(rooms.typingUsers(1).map((u) => u.id)).toEqual([bob.id])
    FakeWebSocket.last.receive({ type: 'member.joined', room: 1, user: bob })
    expect(rooms.get(1)!.member_count).toBe(3)
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

  it('a socket closed with 4003 signs the user out', () => {
    FakeWebSocket.last.hello(alice)
    FakeWebSocket.last.serverClose(4003)
    expect(useAuthStore().user).toBeNull()
  })
})
