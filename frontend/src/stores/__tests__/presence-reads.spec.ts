import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { startRealtime, stopRealtime } from '@/realtime/session'
import { useAuthStore } from '@/stores/auth'
import { usePresenceStore, liveStatus } from '@/stores/presence'
import { useReadsStore } from '@/stores/reads'
import { useRoomsStore } from '@/stores/rooms'
import { notifications, useNotifications } from '@/composables/useNotifications'
import { alice, bob, factory, FakeWebSocket, makeMessage, makeRoom, messageFrame, mockFetch } from '@/test-utils/fakes'
import { serverFrame } from '@/test-utils/frames'

const ROOM = 1

describe('presence: frames, member lists and DM lists', () => {
  let http: ReturnType<typeof mockFetch>
  beforeEach(() => {
    FakeWebSocket.reset()
    setActivePinia(createPinia())
    http = mockFetch()
    useAuthStore().user = alice
    startRealtime({ createSocket: factory, url: 'ws://test/ws/' })
    FakeWebSocket.last.hello(alice)
  })
  afterEach(() => stopRealtime())

  it("takes a person's presence frame, and leaves a room's online count to the rooms store", () => {
    const presence = usePresenceStore()
    const rooms = useRoomsStore()
    rooms.put(makeRoom({ id: ROOM, online_count: 1 }))
    FakeWebSocket.last.receive(serverFrame('presence:status', { user_id: bob.id }))
    expect(presence.stateOf(bob.id)).toBe('offline')
    expect(presence.statusOf(bob.id)?.text).toBe('On holiday')
    FakeWebSocket.last.receive(serverFrame('presence', { room: ROOM, online: 2 }))
    expect(rooms.get(ROOM)!.online_count).toBe(2)
    expect(presence.people[ROOM]).toBeUndefined()
    FakeWebSocket.last.receive(serverFrame('presence:person', { user_id: bob.id, state: 'dnd' }))
    expect(presence.stateOf(bob.id)).toBe('dnd')
    expect(presence.stateOf(9999)).toBe('offline')
  })

  it('fills from GET members and from the DM list', async () => {
    const presence = usePresenceStore()
    const rooms = useRoomsStore()
    http.route(`GET rooms/${ROOM}/members`, () => ({
      members: [{ user: bob, is_owner: false, online: true, state: 'away', status: null, joined_at: '2026-12-07T10:00:00Z', muted: false }],
      bots: [],
    }))
    await rooms.fetchMembers(ROOM)
    expect(presence.stateOf(bob.id)).toBe('away')
    rooms.put(makeRoom({ id: 7, kind: 'direct', dm_members: [alice, bob], dm_presence: [{ user_id: bob.id, state: 'online', status: { emoji: '🚆', text: 'Commuting', expires_at: null } }] }))
    expect(presence.stateOf(bob.id)).toBe('online')
    expect(presence.statusOf(bob.id)?.emoji).toBe('🚆')
  })

  it('reads a status as gone once it has run out', () => {
    const status = { emoji: '📅', text: 'In a meeting', expires_at: '2026-12-07T12:00:00Z' }
    expect(liveStatus(status, Date.parse('2026-12-07T11:59:00Z'))).toEqual(status)
    expect(liveStatus(status, Date.parse('2026-12-07T12:00:01Z'))).toBeNull()
    expect(liveStatus({ emoji: '', text: '', expires_at: null })).toBeNull()
  })

  it('saves my status, do-not-disturb and away through PATCH me', async () => {
    const presence = usePresenceStore()
    const sent: unknown[] = []
    http.route('PATCH me', (_url, init) => {
      const body = JSON.parse(String(init.body)) as Record<string, unknown>
      sent.push(body)
      return { user: { ...alice, is_staff: false, language: 'en', time_zone: 'UTC', status: null, dnd_until: (body.dnd_until as string) ?? null, away: body.away ?? false, share_read_receipts: true } }
    })
    const until = new Date(Date.now() + 3600_000)
    await presence.setDnd(until)
    expect(presence.dndOn).toBe(true)
    await presence.setStatus({ emoji: '🚆', text: 'Commuting', expiresAt: null })
    await presence.setAway(true)
    expect(sent).toEqual([
      { dnd_until: until.toISOString() },
      { status: { emoji: '🚆', text: 'Commuting', expires_at: null } },
      { away: true },
    ])
    expect(presence.mine.away).toBe(true)
  })

  it('keeps desktop notifications quiet during do-not-disturb', () => {
    const presence = usePresenceStore()
    const rooms = useRoomsStore()
    rooms.put(makeRoom({ id: 7, kind: 'direct', dm_members: [alice, bob], notify: 'all' }))
    const shown = vi.fn()
    vi.stubGlobal('Notification', Object.assign(shown, { permission: 'granted', requestPermission: vi.fn() }))
    useNotifications() // reads the permission again
    Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true })
    try {
      presence.mine.dnd_until = new Date(Date.now() + 60_000).toISOString()
      notifications.onMessage(messageFrame(makeMessage(3, { room: 7, sender: bob })))
      expect(shown).not.toHaveBeenCalled()
      presence.mine.dnd_until = null
      notifications.onMessage(messageFrame(makeMessage(4, { room: 7, sender: bob })))
      expect(shown).toHaveBeenCalledTimes(1)
    } finally {
      Object.defineProperty(document, 'visibilityState', { value: 'visible', configurable: true })
      vi.unstubAllGlobals()
    }
  })
})

describe('read receipts', () => {
  let http: ReturnType<typeof mockFetch>
  beforeEach(() => {
    FakeWebSocket.reset()
    setActivePinia(createPinia())
    http = mockFetch()
    useAuthStore().user = alice
    startRealtime({ createSocket: factory, url: 'ws://test/ws/' })
    FakeWebSocket.last.hello(alice)
  })
  afterEach(() => stopRealtime())

  it('loads a room, follows read.updated, and says whether someone else has seen a seq', async () => {
    const reads = useReadsStore()
    http.route(`GET rooms/${ROOM}/reads`, () => ({ reads: [{ user: bob, last_read_seq: 3 }], sharing: true }))
    await reads.load(ROOM)
    expect(reads.seen(ROOM, 3, alice.id)).toBe(true)
    expect(reads.seen(ROOM, 4, alice.id)).toBe(false)
    FakeWebSocket.last.receive(serverFrame('read.updated', { room: ROOM, user_id: bob.id, last_read_seq: 5 }))
    expect(reads.seen(ROOM, 5, alice.id)).toBe(true)
    // My own position never counts as "seen".
    FakeWebSocket.last.receive(serverFrame('read.updated', { room: ROOM, user_id: alice.id, last_read_seq: 9 }))
    expect(reads.seen(ROOM, 9, alice.id)).toBe(false)
  })

  it('asks the server who has seen one message', async () => {
    const reads = useReadsStore()
    http.route(`GET rooms/${ROOM}/reads`, (url) => {
      expect(url.searchParams.get('min_seq')).toBe('4')
      return { reads: [{ user: bob, last_read_seq: 6 }], sharing: true }
    })
    expect((await reads.seenBy(ROOM, 4)).map((u) => u.id)).toEqual([bob.id])
  })
})
