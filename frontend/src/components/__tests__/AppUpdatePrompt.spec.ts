import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { createMemoryHistory, createRouter } from 'vue-router'
import AppUpdatePrompt from '@/components/AppUpdatePrompt.vue'
import { useAuthStore } from '@/stores/auth'
import { alice, mockFetch } from '@/test-utils/fakes'

const pwa = vi.hoisted(() => ({
  options: null as null | { onNeedRefresh?: () => void; onRegisteredSW?: (url: string, reg: unknown) => void },
  update: vi.fn(async (_reload?: boolean) => undefined),
}))
vi.mock('virtual:pwa-register', () => ({
  registerSW: (options: { onNeedRefresh?: () => void; onRegisteredSW?: (url: string, reg: unknown) => void }) => {
    pwa.options = options
    return pwa.update
  },
}))

describe('AppUpdatePrompt', () => {
  const worker = new EventTarget()
  beforeEach(() => {
    setActivePinia(createPinia())
    vi.stubGlobal('navigator', { ...navigator, serviceWorker: worker })
    pwa.options = null
    pwa.update.mockClear()
  })
  afterEach(() => vi.unstubAllGlobals())

  /** The worker is registered after mounting, through a dynamic import. */
  async function registered(): Promise<void> {
    await vi.waitFor(() => expect(pwa.options).not.toBeNull())
  }

  function router() {
    const Page = { template: '<div />' }
    return createRouter({ history: createMemoryHistory(), routes: [{ path: '/:p(.*)*', component: Page }] })
  }

  it('offers "Reload" when a new version waits, and hands over to it on click', async () => {
    const w = mount(AppUpdatePrompt, { global: { plugins: [router()] } })
    await registered()
    expect(w.find('[data-testid="update-prompt"]').exists()).toBe(false)
    pwa.options!.onNeedRefresh!()
    await flushPromises()
    expect(w.get('[data-testid="update-prompt"]').text()).toContain('A new version of Parley is available')
    await w.get('[data-testid="update-reload"]').trigger('click')
    expect(pwa.update).toHaveBeenCalledWith(true)
  })

  it('"Later" puts the prompt away without reloading', async () => {
    const w = mount(AppUpdatePrompt, { global: { plugins: [router()] } })
    await registered()
    pwa.options!.onNeedRefresh!()
    await flushPromises()
    await w.get('[data-testid="update-later"]').trigger('click')
    expect(w.find('[data-testid="update-prompt"]').exists()).toBe(false)
    expect(pwa.update).not.toHaveBeenCalled()
  })

  it('opens the message a notification click asks for, inside the app only', async () => {
    const r = router()
    mount(AppUpdatePrompt, { global: { plugins: [r] } })
    await flushPromises()
    worker.dispatchEvent(new MessageEvent('message', { data: { type: 'parley:open', url: '/rooms/12?msg=345&seq=67' } }))
    await flushPromises()
    expect(r.currentRoute.value.fullPath).toBe('/rooms/12?msg=345&seq=67')
    worker.dispatchEvent(new MessageEvent('message', { data: { type: 'parley:open', url: 'https://evil.example/' } }))
    await flushPromises()
    expect(r.currentRoute.value.fullPath).toBe('/')
  })

  it('stores the subscription this browser holds again once someone is signed in', async () => {
    const http = mockFetch()
    http.route('POST push/subscriptions', () => ({ id: 3 }))
    const sub = { endpoint: 'https://push.example/x', toJSON: () => ({ endpoint: 'https://push.example/x', keys: { p256dh: 'p', auth: 'a' } }) }
    const reg = { pushManager: { getSubscription: async () => sub } }
    Object.assign(worker, { getRegistration: async () => reg, ready: Promise.resolve(reg) })
    vi.stubGlobal('PushManager', class {})
    vi.stubGlobal('Notification', { permission: 'granted' })
    Object.defineProperty(window, 'isSecureContext', { value: true, configurable: true })
    mount(AppUpdatePrompt, { global: { plugins: [router()] } })
    await registered()
    pwa.options!.onRegisteredSW!('/sw.js', reg)
    await flushPromises()
    expect(http.callsTo('POST push/subscriptions')).toEqual([])
    useAuthStore().user = alice
    await vi.waitFor(() => expect(http.callsTo('POST push/subscriptions')).toHaveLength(1))
    expect(http.callsTo('POST push/subscriptions')[0]!.body).toEqual({ endpoint: 'https://push.example/x', keys: { p256dh: 'p', auth: 'a' } })
  })
})
