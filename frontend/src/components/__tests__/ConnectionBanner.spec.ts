import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import ConnectionBanner from '@/components/ConnectionBanner.vue'
import { PROTOCOL_VERSION, type ServerFrame } from '@/realtime/protocol'
import { startRealtime, stopRealtime } from '@/realtime/session'
import { useAuthStore } from '@/stores/auth'
import { useConnectionStore } from '@/stores/connection'
import { alice, factory, FakeWebSocket, mockFetch } from '@/test-utils/fakes'
import { serverFrame } from '@/test-utils/frames'

/** A hello from a server one protocol ahead: a shape these types cannot name, hence the cast. */
const newerHello = () => ({ ...serverFrame('hello', { user: alice }), protocol: PROTOCOL_VERSION + 1 }) as unknown as ServerFrame

describe('ConnectionBanner', () => {
  beforeEach(() => {
    FakeWebSocket.reset()
    setActivePinia(createPinia())
    mockFetch()
    useAuthStore().user = alice
    startRealtime({ createSocket: factory, url: 'ws://test/ws/' })
  })
  afterEach(() => {
    stopRealtime()
    vi.useRealTimers()
    vi.unstubAllGlobals()
  })

  it('says nothing while the socket is online', async () => {
    const w = mount(ConnectionBanner)
    FakeWebSocket.last.hello(alice)
    await w.vm.$nextTick()
    expect(w.find('[data-testid="offline-banner"]').exists()).toBe(false)
    expect(w.find('[data-testid="outdated-banner"]').exists()).toBe(false)
  })

  it('asks for a reload, for good, when the server speaks a newer protocol', async () => {
    vi.useFakeTimers()
    const reload = vi.fn()
    vi.stubGlobal('location', { ...window.location, reload })
    const w = mount(ConnectionBanner)
    FakeWebSocket.last.open()
    FakeWebSocket.last.receive(newerHello())
    await w.vm.$nextTick()
    const banner = w.get('[data-testid="outdated-banner"]')
    expect(banner.text()).toContain('Parley was updated. Reload the page to continue.')
    expect(w.find('[data-testid="offline-banner"]').exists()).toBe(false)
    expect(FakeWebSocket.last.closedByClient).toBe(true)
    expect(FakeWebSocket.last.sent).toEqual([])

    // No reconnect loop: not after a long wait, not on the browser's `online` event.
    vi.advanceTimersByTime(10 * 60_000)
    window.dispatchEvent(new Event('online'))
    expect(FakeWebSocket.instances).toHaveLength(1)
    await w.vm.$nextTick()
    expect(useConnectionStore().state).toBe('outdated')
    expect(w.find('[data-testid="outdated-banner"]').exists()).toBe(true)

    await banner.get('button').trigger('click')
    expect(reload).toHaveBeenCalledTimes(1)
  })
})
