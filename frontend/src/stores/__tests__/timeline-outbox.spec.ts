import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { computed } from 'vue'
import { realtime } from '@/realtime'
import { startRealtime, stopRealtime } from '@/realtime/session'
import { useAuthStore } from '@/stores/auth'
import { ACK_TIMEOUT_MS, useOutboxStore } from '@/stores/outbox'
import { useRoomsStore } from '@/stores/rooms'
import { useTimelineStore } from '@/stores/timeline'
import { alice, bob, factory, FakeWebSocket, flush, makeMessage, makeRoom, messageFrame, mockFetch } from '@/test-utils/fakes'
import { serverFrame } from '@/test-utils/frames'
import type { Message } from '@/api/types'

function setup(history: Message[] = [makeMessage(1), makeMessage(2), makeMessage(3)]) {
  setActivePinia(createPinia())
  const http = mockFetch()
  http.route('GET rooms/1/messages', () => ({ messages: history, has_more: false }))
  const auth = useAuthStore()
  auth.user = alice
  const rooms = useRoomsStore()
  rooms.put(makeRoom({ last_seq: history.at(-1)?.seq ?? 0 }))
  const timeline = useTimelineStore()
  const outbox = useOutboxStore()
  startRealtime({ createSocket: factory, url: 'ws://test/ws/' })
  return { http, auth, rooms, timeline, outbox }
}

const seqs = (m: ReturnType<typeof useTimelineStore>) => m.timeline(1)!.messages.map((x) => x.seq)

describe('timeline and outbox stores + realtime', () => {
  beforeEach(() => {
    FakeWebSocket.reset()
  })
  afterEach(() => {
    stopRealtime()
    vi.useRealTimers()
  })

  it('shows a message as pending until its ack, then as sent; the echo frame is deduped', async () => {
    const { timeline, outbox } = setup()
    await timeline.loadLatest(1)
    FakeWebSocket.last.hello(alice, [{ id: 1, kind: 'room', last_seq: 3, last_read_seq: 0, unread_count: 0, mention_count: 0 }])
    const out = outbox.send(1, 'hello there')
    expect(out.status).toBe('pending')
    const frame = FakeWebSocket.last.sentOfType('send')[0]!
    expect(frame).toEqual({ type: 'send', room: 1, body: 'hello there', client_id: out.client_id })

    FakeWebSocket.last.receive(serverFrame('ack', { client_id: out.client_id, room: 1, id: 99, seq: 4 }))
    expect(outbox.outgoingFor(1)).toHaveLength(0)
    expect(seqs(timeline)).toEqual([1, 2, 3, 4])

    const echo = makeMessage(4, { id: 99, sender: alice, body: 'hello there', client_id: out.client_id })
    FakeWebSocket.last.receive(messageFrame(echo))
    FakeWebSocket.last.receive(messageFrame(echo))
    expect(seqs(timeline)).toEqual([1, 2, 3, 4])
    expect(timeline.timeline(1)!.lastSeq).toBe(4)
  })

  it('dedupes messages by id whatever the path (frame, resume replay, history)', async () => {
    const { timeline } = setup()
    await timeline.loadLatest(1)
    FakeWebSocket.last.hello(alice)
    const m4 = makeMessage(4)
    FakeWebSocket.last.receive(messageFrame(m4))
    FakeWebSocket.last.receive(messageFrame({ ...m4 }))
    expect(seqs(timeline)).toEqual([1, 2, 3, 4])
  })

  it('the echo may arrive before the ack: the pending entry resolves by client_id', async () => {
    const { timeline, outbox } = setup()
    await timeline.loadLatest(1)
    FakeWebSocket.last.hello(alice)
    const out = outbox.send(1, 'fast')
    FakeWebSocket.last.receive(messageFrame(makeMessage(4, { id: 50, sender: alice, body: 'fast', client_id: out.client_id })))
    expect(outbox.outgoingFor(1)).toHaveLength(0)
    FakeWebSocket.last.receive(serverFrame('ack', { client_id: out.client_id, room: 1, id: 50, seq: 4 }))
    expect(seqs(timeline)).toEqual([1, 2, 3, 4])
  })

  it('marks a send failed on an error frame; retry reuses the client_id', async () => {
    const { timeline, outbox } = setup()
    await timeline.loadLatest(1)
    FakeWebSocket.last.hello(alice)
    const out = outbox.send(1, 'too fast')
    FakeWebSocket.last.receive(serverFrame('error:client_id_ref', { code: 'rate_limited', message: 'Slow down', ref: out.client_id }))
    expect(outbox.outgoingFor(1)[0]!.status).toBe('failed')
    expect(outbox.outgoingFor(1)[0]!.error).toBe('Slow down')

    outbox.retry(out.client_id)
    expect(outbox.outgoingFor(1)[0]!.status).toBe('pending')
    const sends = FakeWebSocket.last.sentOfType('send')
    expect(sends).toHaveLength(2)
    expect(sends[1]!.client_id).toBe(out.client_id)
  })

  it('marks a send failed when no ack comes in time', async () => {
    vi.useFakeTimers()
    const { timeline, outbox } = setup()
    await timeline.loadLatest(1)
    FakeWebSocket.last.hello(alice)
    const out = outbox.send(1, 'into the void')
    FakeWebSocket.last.receive(serverFrame('pong')) // keep the socket alive
    vi.advanceTimersByTime(ACK_TIMEOUT_MS + 1)
    const o = outbox.outgoingFor(1).find((x) => x.client_id === out.client_id)!
    expect(o.status).toBe('failed')
  })

  it('queues messages written offline and sends each exactly once when the socket returns', async () => {
    const { timeline, outbox } = setup()
    await timeline.loadLatest(1)
    FakeWebSocket.last.hello(alice)
    const first = FakeWebSocket.last
    first.serverClose(1006)

    const a = outbox.send(1, 'one')
    const b = outbox.send(1, 'two')
    expect(a.status).toBe('pending')
    expect(first.sentOfType('send')).toHaveLength(0)

    realtime.reconnectNow() // what the browser's `online` event does
    const second = FakeWebSocket.last
    expect(second).not.toBe(first)
    second.hello(alice)
    const sends = second.sentOfType('send')
    expect(sends.map((f) => f.client_id)).toEqual([a.client_id, b.client_id])
    // resume went out before the flush
    expect(second.sent[0]!.type).toBe('resume')

    // More frames on the same socket do not resend.
    outbox.flush(2)
    expect(second.sentOfType('send')).toHaveLength(2)

    // Acked: gone. Unacked ones are resent once on the next connection with the same client_id.
    second.receive(serverFrame('ack', { client_id: a.client_id, room: 1, id: 70, seq: 4 }))
    second.serverClose(1006)
    realtime.reconnectNow()
    expect(FakeWebSocket.instances).toHaveLength(3)
    FakeWebSocket.last.hello(alice)
    const third = FakeWebSocket.last.sentOfType('send')
    expect(third.map((f) => f.client_id)).toEqual([b.client_id])
    // The server had stored it before the drop: the resend is acked as a duplicate, shown once.
    FakeWebSocket.last.receive(serverFrame('ack:duplicate', { client_id: b.client_id, room: 1, id: 71, seq: 5 }))
    expect(outbox.outgoingFor(1)).toHaveLength(0)
    expect(seqs(timeline)).toEqual([1, 2, 3, 4, 5])
  })

  it('resumes with the last seq of every loaded room', async () => {
    const { timeline } = setup()
    await timeline.loadLatest(1)
    FakeWebSocket.last.hello(alice)
    FakeWebSocket.last.receive(messageFrame(makeMessage(4)))
    FakeWebSocket.last.serverClose(1006)
    await vi.waitFor(() => expect(FakeWebSocket.instances).toHaveLength(2), { timeout: 5000 })
    FakeWebSocket.last.hello(alice)
    expect(FakeWebSocket.last.sent[0]).toEqual({ type: 'resume', rooms: { '1': 4 } })
  })

  it('fills a seq jump through the events endpoint', async () => {
    const { timeline, http } = setup()
    const m4 = makeMessage(4)
    const m5 = makeMessage(5)
    http.route('GET rooms/1/events', (url) => {
      expect(url.searchParams.get('after_seq')).toBe('3')
      return { events: [messageFrame(m4), messageFrame(m5)], has_more: false, last_seq: 6 }
    })
    await timeline.loadLatest(1)
    FakeWebSocket.last.hello(alice)
    FakeWebSocket.last.receive(messageFrame(makeMessage(6)))
    await vi.waitFor(() => expect(seqs(timeline)).toEqual([1, 2, 3, 4, 5, 6]))
    expect(http.callsTo('GET rooms/1/events')).toHaveLength(1)
    expect(timeline.timeline(1)!.holes).toEqual([])
    expect(timeline.timeline(1)!.lastSeq).toBe(6)
  })

  it('answers a gap frame by paging the events endpoint until the hole is closed', async () => {
    const { timeline, http } = setup()
    const pages: Record<string, unknown> = {
      '3': { events: [4, 5].map((s) => messageFrame(makeMessage(s))), has_more: true, last_seq: 5 },
      '5': { events: [6, 7].map((s) => messageFrame(makeMessage(s))), has_more: false, last_seq: 7 },
    }
    http.route('GET rooms/1/events', (url) => pages[url.searchParams.get('after_seq')!])
    await timeline.loadLatest(1)
    FakeWebSocket.last.hello(alice)
    FakeWebSocket.last.receive(serverFrame('gap', { room: 1, after_seq: 3, until_seq: 7 }))
    await vi.waitFor(() => expect(seqs(timeline)).toEqual([1, 2, 3, 4, 5, 6, 7]))
    expect(http.callsTo('GET rooms/1/events').map((c) => c.url.searchParams.get('after_seq'))).toEqual(['3', '5'])
    // Live frames continue after until_seq without another fetch.
    FakeWebSocket.last.receive(messageFrame(makeMessage(8)))
    await flush()
    expect(seqs(timeline)).toEqual([1, 2, 3, 4, 5, 6, 7, 8])
    expect(http.callsTo('GET rooms/1/events')).toHaveLength(2)
  })

  it('keeps a hole when the fill fails and retries it once the socket is ready again', async () => {
    const { timeline, http } = setup()
    let fail = true
    http.route('GET rooms/1/events', () => {
      if (fail) return new Response('oops', { status: 500 })
      return { events: [messageFrame(makeMessage(4))], has_more: false, last_seq: 5 }
    })
    vi.spyOn(console, 'warn').mockImplementation(() => undefined)
    await timeline.loadLatest(1)
    FakeWebSocket.last.hello(alice)
    FakeWebSocket.last.receive(messageFrame(makeMessage(5)))
    await vi.waitFor(() => expect(http.callsTo('GET rooms/1/events')).toHaveLength(1))
    await flush()
    expect(timeline.timeline(1)!.holes).toEqual([[3, 4]])
    fail = false
    FakeWebSocket.last.serverClose(1006)
    await vi.waitFor(() => expect(FakeWebSocket.instances).toHaveLength(2), { timeout: 5000 })
    FakeWebSocket.last.hello(alice)
    await vi.waitFor(() => expect(seqs(timeline)).toEqual([1, 2, 3, 4, 5]))
  })

  it('buffers frames that arrive while the first page loads', async () => {
    setActivePinia(createPinia())
    const http = mockFetch()
    let release: () => void = () => undefined
    http.route('GET rooms/1/messages', async () => {
      await new Promise<void>((r) => (release = r))
      return { messages: [makeMessage(1), makeMessage(2)], has_more: true }
    })
    useAuthStore().user = alice
    useRoomsStore().put(makeRoom())
    const timeline = useTimelineStore()
    startRealtime({ createSocket: factory, url: 'ws://test/ws/' })
    FakeWebSocket.last.hello(alice)
    const loading = timeline.loadLatest(1)
    await flush()
    FakeWebSocket.last.receive(messageFrame(makeMessage(3)))
    release()
    await loading
    expect(seqs(timeline)).toEqual([1, 2, 3])
    expect(timeline.timeline(1)!.hasMore).toBe(true)
  })

  it('loading history updates views that watch the timeline (reactive, not the raw object)', async () => {
    const { timeline } = setup()
    const loaded = computed(() => timeline.timeline(1)?.loaded ?? false)
    const count = computed(() => timeline.timeline(1)?.messages.length ?? 0)
    expect(loaded.value).toBe(false)
    const p = timeline.loadLatest(1)
    expect(loaded.value).toBe(false)
    await p
    expect(loaded.value).toBe(true)
    expect(count.value).toBe(3)
  })

  it('loads older pages with before_seq and keeps order', async () => {
    const { timeline, http } = setup([makeMessage(51), makeMessage(52)])
    http.route('GET rooms/1/messages', (url) => {
      if (url.searchParams.get('before_seq') === '51') return { messages: [makeMessage(49), makeMessage(50)], has_more: false }
      return { messages: [makeMessage(51), makeMessage(52)], has_more: true }
    })
    await timeline.loadLatest(1)
    expect(await timeline.loadOlder(1)).toBe(2)
    expect(seqs(timeline)).toEqual([49, 50, 51, 52])
    expect(timeline.timeline(1)!.hasMore).toBe(false)
  })

  it('counts unread for rooms not on screen, not for my own messages', async () => {
    const { rooms } = setup()
    FakeWebSocket.last.hello(alice, [{ id: 1, kind: 'room', last_seq: 3, last_read_seq: 1, unread_count: 2, mention_count: 0 }])
    expect(rooms.get(1)!.unread_count).toBe(2)
    FakeWebSocket.last.receive(messageFrame(makeMessage(4, { sender: bob })))
    expect(rooms.get(1)!.unread_count).toBe(3)
    FakeWebSocket.last.receive(messageFrame(makeMessage(5, { sender: alice })))
    expect(rooms.get(1)!.unread_count).toBe(3)
    FakeWebSocket.last.receive(serverFrame('unread', { room: 1, count: 0, last_read_seq: 5 }))
    expect(rooms.get(1)!.unread_count).toBe(0)
    expect(rooms.get(1)!.last_seq).toBe(5)
  })
})
