import { afterEach, describe, expect, it } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import pairs from '@/realtime/__fixtures__/compact-frames.json'
import { expandFrame } from '@/realtime/compact'
import { parseFrame, type ServerFrame } from '@/realtime/protocol'
import { startRealtime, stopRealtime } from '@/realtime/session'
import { useAuthStore } from '@/stores/auth'
import { useRoomsStore } from '@/stores/rooms'
import { useTimelineStore } from '@/stores/timeline'
import { alice, factory, FakeWebSocket, makeMessage, makeRoom, mockFetch } from '@/test-utils/fakes'
import { allServerFrames } from '@/test-utils/frames'

// Made by the server (parley/realtime/tests/test_compact.py): each message frame it sends,
// in full and in the compact form, so this client's expansion is held to the server's rules.
const cases = Object.entries(pairs.pairs)

describe('compact frames', () => {
  it('has the server’s cases: replies, threads, attachments, repeated people', () => {
    expect(cases.map(([name]) => name)).toEqual(
      expect.arrayContaining(['message', 'message:reply', 'message.updated:thread', 'made:participants']),
    )
  })

  it.each(cases)('%s: the compact text parses to the full frame', (_name, pair) => {
    const text = JSON.stringify(pair.compact)
    expect(text.length).toBeLessThan(JSON.stringify(pair.full).length)
    expect(parseFrame(text)).toEqual(pair.full)
  })

  it('fills a user named earlier in the frame from that one, and keeps distinct copies', () => {
    const frame = parseFrame(JSON.stringify(pairs.pairs['message:reply'].compact))
    if (frame?.type !== 'message') throw new Error('not a message')
    expect(frame.message.reply_to?.sender).toEqual(frame.message.sender)
    expect(frame.message.reply_to?.sender).not.toBe(frame.message.sender)
  })

  it('leaves full frames, and every other frame, as they are', () => {
    for (const [name, frame] of allServerFrames()) {
      expect(expandFrame(structuredClone(frame)), name).toEqual(frame)
    }
  })
})

describe('compact frames reach the stores whole', () => {
  afterEach(() => stopRealtime())

  it('a compact message and a compact edit land in the timeline as the full message', async () => {
    FakeWebSocket.reset()
    setActivePinia(createPinia())
    const http = mockFetch()
    http.route('GET rooms/1/messages', () => ({ messages: [makeMessage(2)], has_more: false }))
    useAuthStore().user = alice
    useRoomsStore().put(makeRoom({ last_seq: 2 }))
    startRealtime({ createSocket: factory, url: 'ws://test/ws/' })
    const timeline = useTimelineStore()
    await timeline.loadLatest(1)
    FakeWebSocket.last.hello(alice)
    const { compact, full } = pairs.pairs.message // room 1, seq 3
    FakeWebSocket.last.receive(compact as unknown as ServerFrame)
    expect(timeline.find(1, full.message.id)).toEqual(full.message)
    const edit = pairs.pairs['message.updated'] // seq 7: the log's seqs between are not this test's
    FakeWebSocket.last.receive({ ...edit.compact, seq: 4 } as unknown as ServerFrame)
    const held = timeline.find(1, full.message.id)!
    expect([held.body, held.edited_at, held.reply_to, held.attachments]).toEqual([
      edit.full.message.body,
      edit.full.message.edited_at,
      null,
      [],
    ])
  })
})
