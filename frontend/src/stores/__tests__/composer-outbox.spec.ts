import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { startRealtime, stopRealtime } from '@/realtime/session'
import { useAuthStore } from '@/stores/auth'
import { useComposerStore } from '@/stores/composer'
import { useOutboxStore } from '@/stores/outbox'
import { useRoomsStore } from '@/stores/rooms'
import { useTimelineStore } from '@/stores/timeline'
import { alice, bob, factory, FakeWebSocket, makeMessage, makeRoom, messageFrame, mockFetch } from '@/test-utils/fakes'
import { serverFrame } from '@/test-utils/frames'

// The three stores the message view reads, each on its own: what the composer is doing,
// what is waiting in the outbox, and what the timeline shows, kept consistent by frames.

function setup() {
  setActivePinia(createPinia())
  const http = mockFetch()
  http.route('GET rooms/1/messages', () => ({ messages: [makeMessage(1, { id: 1, sender: alice }), makeMessage(2, { id: 2, sender: bob })], has_more: false }))
  useAuthStore().user = alice
  useRoomsStore().put(makeRoom({ id: 1, last_seq: 2 }))
  useRoomsStore().put(makeRoom({ id: 2, name: 'other', last_seq: 0 }))
  startRealtime({ createSocket: factory, url: 'ws://test/ws/' })
  FakeWebSocket.last.hello(alice)
  return { composer: useComposerStore(), outbox: useOutboxStore(), timeline: useTimelineStore() }
}

describe('composer store', () => {
  beforeEach(() => FakeWebSocket.reset())
  afterEach(() => stopRealtime())

  it('keeps a reply draft and an edit per room; stopping the edit of another message changes nothing', () => {
    const { composer } = setup()
    composer.startReply(1, makeMessage(2, { id: 2 }))
    composer.startEdit(1, 1)
    composer.startEdit(2, 7)
    expect(composer.replyTo[1]?.id).toBe(2)
    expect(composer.isEditing(1, 1)).toBe(true)
    composer.stopEdit(1, 99)
    expect(composer.isEditing(1, 1)).toBe(true)
    composer.stopEdit(1, 1)
    expect(composer.isEditing(1, 1)).toBe(false)
    expect(composer.isEditing(2, 7)).toBe(true)
    composer.cancelReply(1)
    expect(composer.replyTo[1]).toBeNull()
  })

  it('a deletion in the timeline ends the edit of that message and drops a reply to it', async () => {
    const { composer, timeline } = setup()
    await timeline.loadLatest(1)
    composer.startEdit(1, 1)
    composer.startReply(1, timeline.find(1, 1)!)
    FakeWebSocket.last.receive(serverFrame('message.deleted', { room: 1, id: 1, seq: 3 }))
    expect(timeline.find(1, 1)!.deleted).toBe(true)
    expect(composer.isEditing(1, 1)).toBe(false)
    expect(composer.replyTo[1]).toBeNull()
  })

  it('signing out forgets every draft', () => {
    const { composer } = setup()
    composer.startReply(1, makeMessage(2, { id: 2 }))
    composer.startEdit(1, 1)
    stopRealtime()
    expect(composer.replyTo[1]).toBeUndefined()
    expect(composer.editing[1]).toBeUndefined()
  })
})

describe('outbox store', () => {
  beforeEach(() => FakeWebSocket.reset())
  afterEach(() => stopRealtime())

  it('counts what is still pending across rooms, not what failed', () => {
    const { outbox } = setup()
    const a = outbox.send(1, 'one')
    outbox.send(2, 'two')
    expect(outbox.pendingCount()).toBe(2)
    FakeWebSocket.last.receive(serverFrame('error:client_id_ref', { code: 'rate_limited', message: 'Slow down', ref: a.client_id }))
    expect(outbox.pendingCount()).toBe(1)
    outbox.discard(a.client_id)
    expect(outbox.outgoingFor(1)).toEqual([])
    expect(outbox.outgoing[1]).toBeUndefined()
  })

  it('an ack for a room whose history is not loaded empties the outbox and adds nothing to a timeline', () => {
    const { outbox, timeline } = setup()
    const o = outbox.send(2, 'hello')
    FakeWebSocket.last.receive(serverFrame('ack', { client_id: o.client_id, room: 2, id: 40, seq: 1 }))
    expect(outbox.outgoingFor(2)).toEqual([])
    expect(timeline.timeline(2)).toBeUndefined()
  })

  it('an ack in a loaded room shows the message in its place at once, with what I wrote', async () => {
    const { outbox, timeline } = setup()
    await timeline.loadLatest(1)
    const o = outbox.send(1, 'mine', timeline.find(1, 2)!)
    FakeWebSocket.last.receive(serverFrame('ack', { client_id: o.client_id, room: 1, id: 41, seq: 3 }))
    expect(outbox.outgoingFor(1)).toEqual([])
    expect(timeline.find(1, 41)).toMatchObject({ body: 'mine', seq: 3, sender: { id: alice.id }, reply_to: { id: 2 } })
    // The frame that follows replaces it with the server's copy, still once.
    FakeWebSocket.last.receive(messageFrame(makeMessage(3, { id: 41, sender: alice, body: 'mine', client_id: o.client_id })))
    expect(timeline.timeline(1)!.messages.map((m) => m.id)).toEqual([1, 2, 41])
  })

  it("someone else's message with the same client_id does not settle mine", async () => {
    const { outbox, timeline } = setup()
    await timeline.loadLatest(1)
    const o = outbox.send(1, 'mine')
    FakeWebSocket.last.receive(messageFrame(makeMessage(3, { id: 42, sender: bob, client_id: o.client_id })))
    expect(outbox.outgoingFor(1).map((x) => x.client_id)).toEqual([o.client_id])
  })
})
