import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { startRealtime, stopRealtime } from '@/realtime/session'
import { useAuthStore } from '@/stores/auth'
import { useRoomsStore } from '@/stores/rooms'
import { alice, bob, factory, FakeWebSocket, makeMessage, makeRoom, mockFetch, messageFrame } from '@/test-utils/fakes'

const dm = (over = {}) =>
  makeRoom({ id: 7, name: 'stored', kind: 'direct', visibility: 'private', dm_members: [alice, bob], notify: 'all', ...over })

describe('rooms store: direct messages and mark all as read', () => {
  let http: ReturnType<typeof mockFetch>
  beforeEach(() => {
    FakeWebSocket.reset()
    setActivePinia(createPinia())
    http = mockFetch()
    http.route('GET rooms', (url) =>
      url.searchParams.get('joined') === 'true'
        ? [makeRoom({ id: 1, name: 'general', unread_count: 2, last_seq: 9 }), dm({ last_seq: 4, unread_count: 1 }), dm({ id: 8, hidden: true, last_seq: 2 })]
        : [],
    )
    useAuthStore().user = alice
    startRealtime({ createSocket: factory, url: 'ws://test/ws/' })
  })
  afterEach(() => stopRealtime())

  it('keeps DMs out of the rooms list and hidden ones out of the DM list', async () => {
    const rooms = useRoomsStore()
    await rooms.fetchAll()
    expect(rooms.joinedRooms.map((r) => r.id)).toEqual([1])
    expect(rooms.directs.map((r) => r.id)).toEqual([7])
    expect(rooms.totalUnread).toBe(3)
  })

  it('shows a hidden DM again when a message arrives in it', async () => {
    const rooms = useRoomsStore()
    await rooms.fetchAll()
    FakeWebSocket.last.hello(alice)
    FakeWebSocket.last.receive(messageFrame(makeMessage(3, { room: 8, sender: bob })))
    expect(rooms.directs.map((r) => r.id)).toEqual([7, 8])
    expect(rooms.get(8)!.hidden).toBe(false)
  })

  it('marks everything read with one call', async () => {
    const rooms = useRoomsStore()
    await rooms.fetchAll()
    http.route('POST rooms/read-all', () => ({ rooms: [1, 7] }))
    await rooms.markAllRead()
    expect(http.callsTo('POST rooms/read-all')).toHaveLength(1)
    expect(rooms.totalUnread).toBe(0)
    expect(rooms.get(1)!.last_read_seq).toBe(9)
  })

  it('hides a DM on leave instead of dropping it', async () => {
    const rooms = useRoomsStore()
    await rooms.fetchAll()
    http.route('POST rooms/7/leave', () => dm({ hidden: true, unread_count: 0 }))
    await rooms.leave(7)
    expect(rooms.get(7)!.is_member).toBe(true)
    expect(rooms.directs.map((r) => r.id)).toEqual([])
  })
})
