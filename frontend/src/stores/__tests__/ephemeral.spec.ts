import { afterEach, describe, expect, it } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { startRealtime, stopRealtime } from '@/realtime/session'
import { useAuthStore } from '@/stores/auth'
import { useEphemeralStore } from '@/stores/ephemeral'
import { useOutboxStore } from '@/stores/outbox'
import { useRoomsStore } from '@/stores/rooms'
import { alice, factory, FakeWebSocket, makeRoom, mockFetch } from '@/test-utils/fakes'
import { serverFrame } from '@/test-utils/frames'

// A slash command that stores nothing is answered by a `notice` (the captured frame:
// an unknown command): it settles the send that asked and shows a line only I see.

function setup() {
  setActivePinia(createPinia())
  mockFetch()
  useAuthStore().user = alice
  useRoomsStore().put(makeRoom({ id: 1 }))
  startRealtime({ createSocket: factory, url: 'ws://test/ws/' })
  FakeWebSocket.last.hello(alice)
  return { outbox: useOutboxStore(), ephemeral: useEphemeralStore() }
}

describe('notice frames', () => {
  afterEach(() => stopRealtime())

  it('settle the pending command and add a line for its room only', () => {
    const { outbox, ephemeral } = setup()
    const sent = outbox.send(1, '/frobnicate')
    expect(outbox.outgoingFor(1)).toHaveLength(1)
    const frame = serverFrame('notice', { room: 1, ref: sent.client_id })
    FakeWebSocket.last.receive(frame)
    expect(outbox.outgoingFor(1)).toHaveLength(0)
    expect(ephemeral.lines(1)).toEqual([{ id: 1, text: frame.text, level: 'error' }])
    expect(ephemeral.lines(2)).toEqual([])
    ephemeral.dismiss(1, 1)
    expect(ephemeral.lines(1)).toEqual([])
  })

  it('keep only the latest line and leave other sends alone', () => {
    const { outbox, ephemeral } = setup()
    const other = outbox.send(1, 'hello')
    for (let i = 0; i < 7; i++) FakeWebSocket.last.receive(serverFrame('notice', { room: 1, text: `n${i}`, ref: null }))
    expect(ephemeral.lines(1).map((l) => l.text)).toEqual(['n6'])
    expect(outbox.outgoingFor(1).map((o) => o.client_id)).toEqual([other.client_id])
  })
})
