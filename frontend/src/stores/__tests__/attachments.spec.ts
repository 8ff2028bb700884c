import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import type { Attachment, Message } from '@/api/types'
import { startRealtime, stopRealtime } from '@/realtime/session'
import { useAuthStore } from '@/stores/auth'
import { useOutboxStore } from '@/stores/outbox'
import { useRoomsStore } from '@/stores/rooms'
import { useTimelineStore } from '@/stores/timeline'
import { alice, factory, FakeWebSocket, makeMessage, makeRoom, mockFetch } from '@/test-utils/fakes'
import { serverFrame } from '@/test-utils/frames'

const photo: Attachment = {
  id: 11,
  url: '/api/v1/uploads/11/cat.png',
  name: 'cat.png',
  size: 2048,
  content_type: 'image/png',
  width: 400,
  height: 300,
  thumbnail_url: null,
}

function setup(history: Message[]) {
  setActivePinia(createPinia())
  const http = mockFetch()
  http.route('GET rooms/1/messages', () => ({ messages: history, has_more: false }))
  useAuthStore().user = alice
  useRoomsStore().put(makeRoom({ last_seq: history.at(-1)?.seq ?? 0 }))
  startRealtime({ createSocket: factory, url: 'ws://test/ws/' })
  return { timeline: useTimelineStore(), outbox: useOutboxStore() }
}

describe('attachments in the timeline and outbox stores', () => {
  beforeEach(() => FakeWebSocket.reset())
  afterEach(() => stopRealtime())

  it('sends the upload ids, shows the files while pending and keeps them after the ack', async () => {
    const { timeline, outbox } = setup([])
    await timeline.loadLatest(1)
    FakeWebSocket.last.hello(alice)
    const out = outbox.send(1, '', null, [photo])
    expect(FakeWebSocket.last.sentOfType('send')[0]).toMatchObject({ body: '', attachments: [11] })
    expect(out.attachments).toEqual([photo])
    FakeWebSocket.last.receive(serverFrame('ack', { client_id: out.client_id, room: 1, id: 50, seq: 1 }))
    expect(timeline.find(1, 50)!.attachments).toEqual([photo])
  })

  it('a send without files carries no attachments field', async () => {
    const { timeline, outbox } = setup([])
    await timeline.loadLatest(1)
    FakeWebSocket.last.hello(alice)
    outbox.send(1, 'plain')
    expect(FakeWebSocket.last.sentOfType('send')[0]).not.toHaveProperty('attachments')
  })

  it('message.updated brings the thumbnail once it is made', async () => {
    const held = makeMessage(6, { id: 3, attachments: [photo] }) // the update's seq (7) follows: no hole
    const { timeline } = setup([held])
    await timeline.loadLatest(1)
    FakeWebSocket.last.hello(alice)
    const frame = serverFrame('message.updated')
    const thumb = { ...photo, thumbnail_url: '/api/v1/uploads/11/thumbnail/cat.png' }
    FakeWebSocket.last.receive({ ...frame, message: { ...frame.message, id: 3, attachments: [thumb] } })
    expect(timeline.find(1, 3)!.attachments[0]!.thumbnail_url).toBe(thumb.thumbnail_url)
  })
})
