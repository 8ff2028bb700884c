import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import StatusPicker from '@/components/StatusPicker.vue'
import { useAuthStore } from '@/stores/auth'
import { usePresenceStore } from '@/stores/presence'
import { alice, mockFetch } from '@/test-utils/fakes'

describe('StatusPicker', () => {
  let http: ReturnType<typeof mockFetch>
  let sent: Array<Record<string, unknown>>
  beforeEach(() => {
    setActivePinia(createPinia())
    http = mockFetch()
    sent = []
    http.route('PATCH me', (_url, init) => {
      const body = JSON.parse(String(init.body)) as Record<string, unknown>
      sent.push(body)
      const status = (body.status as Record<string, unknown> | undefined) ?? null
      return { user: { ...alice, is_staff: false, language: 'en', time_zone: 'Asia/Seoul', status, dnd_until: body.dnd_until ?? null, away: false, share_read_receipts: true } }
    })
    const auth = useAuthStore()
    auth.user = alice
    auth.timeZone = 'Asia/Seoul'
    // <dialog> in jsdom has no showModal/close.
    HTMLDialogElement.prototype.showModal ??= function (this: HTMLDialogElement) { this.open = true }
    HTMLDialogElement.prototype.close ??= function (this: HTMLDialogElement) { this.open = false; this.dispatchEvent(new Event('close')) }
    vi.useFakeTimers({ now: new Date('2026-12-07T12:30:00Z'), toFake: ['Date'] })
  })
  afterEach(() => {
    vi.useRealTimers()
    vi.unstubAllGlobals()
  })

  it('"Off for the day" lasts until midnight in the account\'s time zone', async () => {
    const w = mount(StatusPicker, { attachTo: document.body })
    await w.get('[data-testid="status-button"]').trigger('click')
    await flushPromises()
    const off = document.querySelector<HTMLButtonElement>('[data-testid="status-preset"][data-preset="off"]')!
    off.click()
    await flushPromises()
    expect(sent).toEqual([{ status: { emoji: '🏡', text: 'Off for the day', expires_at: '2026-12-07T15:00:00.000Z' } }])
    expect(usePresenceStore().myStatus?.emoji).toBe('🏡')
    w.unmount()
  })

  it('shows do-not-disturb on its button, and turns it off', async () => {
    const w = mount(StatusPicker, { attachTo: document.body })
    await w.get('[data-testid="status-button"]').trigger('click')
    await flushPromises()
    document.querySelector<HTMLButtonElement>('[data-testid="dnd-option"][data-key="60"]')!.click()
    await flushPromises()
    expect(sent[0]).toEqual({ dnd_until: '2026-12-07T13:30:00.000Z' })
    expect(w.get('[data-testid="status-button"]').attributes('data-state')).toBe('dnd')
    document.querySelector<HTMLButtonElement>('[data-testid="dnd-off"]')!.click()
    await flushPromises()
    expect(sent[1]).toEqual({ dnd_until: null })
    expect(w.get('[data-testid="status-button"]').attributes('data-state')).toBe('online')
    w.unmount()
  })
})
