import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import PushSettings from '@/components/PushSettings.vue'
import type { PushDevice } from '@/api/push'
import { alice, mockFetch } from '@/test-utils/fakes'

const KEY = 'BAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0-P0A'
const HERE = 'https://push.example/here'

function device(id: number, endpoint: string, label: string): PushDevice {
  return { id, endpoint, label, created_at: '2026-12-01T10:00:00Z', last_used_at: null }
}

/** A browser with a service worker and a push service; `sub` is this browser's subscription. */
function fakeBrowser(permission: NotificationPermission, answer: NotificationPermission = permission) {
  const state: { sub: PushSubscription | null; subscribed: unknown[]; unsubscribed: number } = { sub: null, subscribed: [], unsubscribed: 0 }
  const makeSub = (key: ArrayBuffer | null) =>
    ({
      endpoint: HERE,
      options: { applicationServerKey: key },
      toJSON: () => ({ endpoint: HERE, expirationTime: null, keys: { p256dh: 'p', auth: 'a' } }),
      unsubscribe: async () => {
        state.unsubscribed++
        state.sub = null
        return true
      },
    }) as unknown as PushSubscription
  const pushManager = {
    getSubscription: async () => state.sub,
    subscribe: async (opts: PushSubscriptionOptionsInit) => {
      state.subscribed.push(opts)
      state.sub = makeSub((opts.applicationServerKey as Uint8Array).buffer as ArrayBuffer)
      return state.sub
    },
  }
  const reg = { pushManager }
  vi.stubGlobal('navigator', {
    ...navigator,
    serviceWorker: { ready: Promise.resolve(reg), getRegistration: async () => reg },
  })
  vi.stubGlobal('PushManager', class {})
  const N = { permission, requestPermission: vi.fn(async () => answer) }
  vi.stubGlobal('Notification', N)
  return { state, N }
}

describe('PushSettings', () => {
  let http: ReturnType<typeof mockFetch>
  let devices: PushDevice[]
  let hide: boolean
  beforeEach(() => {
    setActivePinia(createPinia())
    Object.defineProperty(window, 'isSecureContext', { value: true, configurable: true })
    http = mockFetch()
    devices = [device(7, 'https://push.example/phone', 'Chrome on Android')]
    hide = false
    http.route('GET push/subscriptions', () => devices)
    http.route('GET push/key', () => ({ public_key: KEY }))
    http.route('GET me', () => ({ user: { ...alice, push_hide_text: hide } }))
    http.route('PATCH me', (_u, init) => {
      hide = (JSON.parse(String(init.body)) as { push_hide_text: boolean }).push_hide_text
      return { user: { ...alice, push_hide_text: hide } }
    })
    http.route('POST push/subscriptions', (_u, init) => {
      const body = JSON.parse(String(init.body)) as { endpoint: string }
      const d = device(9, body.endpoint, 'Firefox on Linux')
      devices = [d, ...devices]
      return new Response(JSON.stringify(d), { status: 201, headers: { 'Content-Type': 'application/json' } })
    })
    http.route('DELETE push/subscriptions/7', () => undefined)
    http.route('DELETE push/subscriptions/9', () => undefined)
  })
  afterEach(() => {
    vi.unstubAllGlobals()
  })

  it('turns push on: permission, the server key, subscribe, and this device is marked', async () => {
    const { state, N } = fakeBrowser('default', 'granted')
    const w = mount(PushSettings)
    await flushPromises()
    expect(w.findAll('[data-testid="push-device"]')).toHaveLength(1)
    expect(w.find('[data-testid="push-this-device"]').exists()).toBe(false)

    await w.get('[data-testid="push-enable"]').trigger('click')
    await flushPromises()
    expect(N.requestPermission).toHaveBeenCalledOnce()
    const opts = state.subscribed[0] as PushSubscriptionOptionsInit
    expect(opts.userVisibleOnly).toBe(true)
    expect((opts.applicationServerKey as Uint8Array)[0]).toBe(4)
    expect((opts.applicationServerKey as Uint8Array).length).toBe(65)
    expect(http.callsTo('POST push/subscriptions')[0]!.body).toEqual({ endpoint: HERE, keys: { p256dh: 'p', auth: 'a' } })
    const mine = w.get('[data-testid="push-device"][data-this="true"]')
    expect(mine.text()).toContain('Firefox on Linux')
    expect(mine.text()).toContain('This device')
    expect(w.find('[data-testid="push-on"]').exists()).toBe(true)
    expect(w.find('[data-testid="push-enable"]').exists()).toBe(false)
  })

  it('says so when notifications are blocked, and subscribes nothing', async () => {
    const { state } = fakeBrowser('denied')
    const w = mount(PushSettings)
    await flushPromises()
    await w.get('[data-testid="push-enable"]').trigger('click')
    await flushPromises()
    expect(w.get('[data-testid="push-problem"]').text()).toContain("browser's site settings")
    expect(state.subscribed).toEqual([])
    expect(http.callsTo('POST push/subscriptions')).toEqual([])
  })

  it('says so when the browser has no push at all', async () => {
    vi.stubGlobal('navigator', { ...navigator, serviceWorker: undefined })
    const w = mount(PushSettings)
    await flushPromises()
    expect(w.get('[data-testid="push-unsupported"]').text()).toContain('cannot receive push notifications')
    expect(w.find('[data-testid="push-enable"]').exists()).toBe(false)
    // The account's other devices can still be removed from here.
    expect(w.findAll('[data-testid="push-device"]')).toHaveLength(1)
  })

  it('removes another device on the server, and this one in the browser too', async () => {
    const { state } = fakeBrowser('granted')
    const w = mount(PushSettings)
    await flushPromises()
    await w.get('[data-testid="push-enable"]').trigger('click')
    await flushPromises()
    expect(w.findAll('[data-testid="push-device"]')).toHaveLength(2)

    await w.get('[data-testid="push-device"][data-this="false"] [data-testid="push-remove"]').trigger('click')
    await flushPromises()
    expect(http.callsTo('DELETE push/subscriptions/7')).toHaveLength(1)
    expect(state.unsubscribed).toBe(0)

    await w.get('[data-testid="push-device"][data-this="true"] [data-testid="push-remove"]').trigger('click')
    await flushPromises()
    expect(http.callsTo('DELETE push/subscriptions/9')).toHaveLength(1)
    expect(state.unsubscribed).toBe(1)
    expect(w.find('[data-testid="push-no-devices"]').exists()).toBe(true)
    expect(w.find('[data-testid="push-enable"]').exists()).toBe(true)
  })

  it('saves "hide message text" on the profile', async () => {
    fakeBrowser('granted')
    const w = mount(PushSettings)
    await flushPromises()
    const box = w.get<HTMLInputElement>('[data-testid="push-hide-text"]')
    expect(box.element.checked).toBe(false)
    await box.setValue(true)
    await flushPromises()
    expect(http.callsTo('PATCH me')[0]!.body).toEqual({ push_hide_text: true })
    expect(box.element.checked).toBe(true)
  })
})
