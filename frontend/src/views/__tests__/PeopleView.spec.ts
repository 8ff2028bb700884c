import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import PeopleView from '@/views/PeopleView.vue'
import SignInsCard from '@/components/SignInsCard.vue'
import { i18n } from '@/i18n'
import { useAuthStore } from '@/stores/auth'
import { useNoticesStore } from '@/stores/notices'
import { jsonResponse, mockFetch } from '@/test-utils/fakes'

function person(over: Record<string, unknown> = {}) {
  return {
    id: 7,
    username: 'ana',
    display_name: 'Ana',
    avatar: '/static/avatars/owl.svg',
    email: 'ana@example.org',
    email_verified: true,
    date_joined: '2026-12-01T10:00:00Z',
    is_active: true,
    is_staff: false,
    is_superuser: false,
    last_sign_in_at: '2026-12-07T09:00:00Z',
    last_sign_in_method: 'password',
    ...over,
  }
}

async function mountPeople(people: Record<string, unknown>[]) {
  setActivePinia(createPinia())
  useAuthStore().isStaff = true
  const http = mockFetch()
  http.route('GET people', () => ({ results: people, count: people.length, has_more: false }))
  http.route('GET people/invitations', () => ({ results: [] }))
  const w = mount(PeopleView, { global: { plugins: [i18n], stubs: { AppHeader: true } } })
  await flushPromises()
  return { w, http }
}

describe('PeopleView', () => {
  afterEach(() => vi.unstubAllGlobals())

  it('says so when the server has no two-factor reset (404 before the two-factor work)', async () => {
    vi.stubGlobal('confirm', () => true)
    const { w, http } = await mountPeople([person()])
    await w.find('[data-testid="person-reset-2fa"]').trigger('click')
    await flushPromises()
    expect(http.callsTo('DELETE people/7/2fa')).toHaveLength(1)
    expect(useNoticesStore().items.map((n) => n.text)).toContain('This server has no two-factor sign-in to reset.')
  })

  it('shows the two-factor badge only when the server says the person has one', async () => {
    const { w } = await mountPeople([person(), person({ id: 8, username: 'bo', has_2fa: true }), person({ id: 9, username: 'cy', has_2fa: false })])
    const rows = w.findAll('[data-testid="person-item"]')
    expect(rows.map((r) => r.find('[data-testid="person-2fa"]').exists())).toEqual([false, true, false])
    // Nothing to reset for someone the server says has no second factor.
    expect(rows.map((r) => r.find('[data-testid="person-reset-2fa"]').exists())).toEqual([true, true, false])
  })

  it('deactivates after asking, and shows the person deactivated', async () => {
    vi.stubGlobal('confirm', () => true)
    const { w, http } = await mountPeople([person()])
    http.route('POST people/7/deactivate', () => person({ is_active: false }))
    await w.find('[data-testid="person-deactivate"]').trigger('click')
    await flushPromises()
    expect(w.find('[data-testid="person-item"]').attributes('data-active')).toBe('false')
    expect(w.find('[data-testid="person-reactivate"]').exists()).toBe(true)
  })
})

describe('SignInsCard', () => {
  afterEach(() => vi.unstubAllGlobals())

  it('lists the recent sign-ins with this device marked and signs out the others', async () => {
    setActivePinia(createPinia())
    const http = mockFetch()
    const row = { method: 'password', at: '2026-12-07T09:00:00Z', ip: '203.0.113.9', device: 'Firefox · Linux' }
    http.route('GET me/sign-ins', () => ({
      has_password: false,
      methods: ['oidc', 'register'],
      sign_ins: [
        { ...row, id: 2, method: 'oidc', active: true, current: true },
        { ...row, id: 1, active: true, current: false },
      ],
    }))
    http.route('POST me/sign-out-others', () => jsonResponse(200, { ended: 1 }))
    const w = mount(SignInsCard, { global: { plugins: [i18n] } })
    await flushPromises()
    const devices = w.findAll('[data-testid="device-item"]')
    expect(devices.map((d) => d.attributes('data-current'))).toEqual(['true', 'false'])
    await w.find('[data-testid="sign-out-others"]').trigger('click')
    await flushPromises()
    expect(http.callsTo('POST me/sign-out-others')).toHaveLength(1)
    expect(w.find('[data-testid="sign-out-others-done"]').text()).toBe('Signed out of 1 other login.')
  })
})
