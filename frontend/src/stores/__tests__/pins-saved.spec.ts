import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { startRealtime, stopRealtime } from '@/realtime/session'
import { useAuthStore } from '@/stores/auth'
import { usePinsStore } from '@/stores/pins'
import { useRoomsStore } from '@/stores/rooms'
import { useSavedStore } from '@/stores/saved'
import { useTimelineStore } from '@/stores/timeline'
import { alice, factory, FakeWebSocket, flush, makeMessage, makeRoom, mockFetch } from '@/test-utils/fakes'
import { serverFrame } from '@/test-utils/frames'
import type { Message } from '@/api/types'

// Pins and saved messages in the stores, driven by the frames the server really sends
// (the captured `message.pinned` and `saved.updated`: message 3 of room 1, pinned at seq 13).

function setup(history: Message[], pins: Message[] = []) {
  setActivePinia(createPinia())
  const http = mockFetch()
  http.route('GET rooms/1/messages', () => ({ messages: history, has_more: false }))
  http.route('GET rooms/1/pins', () => ({ pins }))
  useAuthStore().user = alice
  useRoomsStore().put(makeRoom({ last_seq: history.at(-1)?.seq ?? 0 }))
  startRealtime({ createSocket: factory, url: 'ws://test/ws/' })
  return { http, timeline: useTimelineStore(), pins: usePinsStore(), saved: useSavedStore() }
}

describe('pins', () => {
  beforeEach(() => FakeWebSocket.reset())
  afterEach(() => stopRealtime())

  it('loads the list, then message.pinned adds the message held in the timeline and counts in the log', async () => {
    const older = makeMessage(2, { id: 2 })
    const target = makeMessage(12, { id: 3, body: 'the rules' })
    const { timeline, pins } = setup([older, target], [older])
    await timeline.loadLatest(1)
    await pins.load(1)
    FakeWebSocket.last.hello(alice)
    expect(pins.list(1).map((m) => m.id)).toEqual([2])
    FakeWebSocket.last.receive(serverFrame('message.pinned'))
    expect(pins.list(1).map((m) => m.id)).toEqual([3, 2]) // the newest pin first
    expect(pins.isPinned(1, 3)).toBe(true)
    expect(timeline.timeline(1)!.lastSeq).toBe(13)
    expect(timeline.timeline(1)!.holes).toEqual([]) // the pin's seq is no gap
    FakeWebSocket.last.receive(serverFrame('message.pinned', { seq: 14, pinned: false }))
    expect(pins.list(1).map((m) => m.id)).toEqual([2])
  })

  it('a pin of a message not held here reads the list again; a deletion drops a pin', async () => {
    const { http, timeline, pins } = setup([makeMessage(12, { id: 9 })])
    await timeline.loadLatest(1)
    await pins.load(1)
    FakeWebSocket.last.hello(alice)
    const far = makeMessage(1, { id: 3, body: 'from long ago' })
    http.route('GET rooms/1/pins', () => ({ pins: [far] }))
    FakeWebSocket.last.receive(serverFrame('message.pinned'))
    await flush()
    expect(http.callsTo('GET rooms/1/pins')).toHaveLength(2)
    expect(pins.list(1).map((m) => m.body)).toEqual(['from long ago'])
    FakeWebSocket.last.receive(serverFrame('message.deleted', { seq: 14, id: 3 }))
    expect(pins.count(1)).toBe(0)
  })

  it('an edit of a pinned message shows in the list; pin and unpin over REST update it at once', async () => {
    const target = makeMessage(6, { id: 3 })
    const { http, timeline, pins } = setup([target], [target])
    await timeline.loadLatest(1)
    await pins.load(1)
    FakeWebSocket.last.hello(alice)
    FakeWebSocket.last.receive(serverFrame('message.updated', { seq: 7 }))
    expect(pins.list(1)[0]!.body).toBe(serverFrame('message.updated').message.body)
    http.route('DELETE messages/3/pin', () => ({ pinned: false }))
    await pins.unpin(1, 3)
    expect(pins.count(1)).toBe(0)
    http.route('POST messages/3/pin', () => ({ pinned: true }))
    await pins.pin(1, target)
    await pins.pin(1, target)
    expect(pins.list(1).map((m) => m.id)).toEqual([3])
  })
})

describe('saved messages', () => {
  beforeEach(() => FakeWebSocket.reset())
  afterEach(() => stopRealtime())

  const item = (id: number) => ({ message: makeMessage(id, { id }), room: { id: 1, name: 'general' } })

  it('pages by next_cursor and knows which messages are saved', async () => {
    const { http, saved } = setup([])
    http.route('GET saved', (url) =>
      url.searchParams.get('cursor') === 'c2'
        ? { results: [item(1)], next_cursor: null }
        : { results: [item(3), item(2)], next_cursor: 'c2' },
    )
    await saved.loadFirst()
    expect(saved.items.map((i) => i.message.id)).toEqual([3, 2])
    await saved.loadMore()
    expect(saved.items.map((i) => i.message.id)).toEqual([3, 2, 1])
    expect(saved.nextCursor).toBeNull()
    expect([1, 2, 3, 4].map((id) => saved.isSaved(id))).toEqual([true, true, true, false])
  })

  it('saved.updated from my other device adds or removes; a deleted message leaves the list', async () => {
    const { http, saved } = setup([])
    http.route('GET saved', () => ({ results: [item(5), item(4)], next_cursor: null }))
    await saved.loadFirst()
    FakeWebSocket.last.hello(alice)
    const frame = serverFrame('saved.updated')
    FakeWebSocket.last.receive(frame)
    expect(saved.isSaved(frame.message_id)).toBe(true)
    expect(saved.loaded).toBe(false) // the Saved view reads the list again
    FakeWebSocket.last.receive(serverFrame('saved.updated', { message_id: 5, saved: false }))
    expect(saved.items.map((i) => i.message.id)).toEqual([4])
    expect(saved.isSaved(5)).toBe(false)
    FakeWebSocket.last.receive(serverFrame('message.deleted', { seq: 20, id: 4 }))
    expect(saved.items).toEqual([])
  })

  it('save and unsave over REST', async () => {
    const { http, saved } = setup([])
    http.route('POST messages/7/save', () => ({ saved: true }))
    http.route('DELETE messages/7/save', () => ({ saved: false }))
    await saved.save(7)
    expect(saved.isSaved(7)).toBe(true)
    await saved.unsave(7)
    expect(saved.isSaved(7)).toBe(false)
    expect(http.callsTo('POST messages/7/save')).toHaveLength(1)
  })
})
