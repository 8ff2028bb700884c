import { describe, expect, it, vi } from 'vitest'
import { mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import DirectMessagesSection from '@/components/DirectMessagesSection.vue'
import { useAuthStore } from '@/stores/auth'
import { useRoomsStore } from '@/stores/rooms'
import { alice } from '@/test-utils/fakes'

vi.mock('vue-router', () => ({ RouterLink: { template: '<a><slot /></a>' }, useRouter: () => ({ push: vi.fn() }) }))

function emptyFor(isGuest: boolean): string {
  setActivePinia(createPinia())
  useAuthStore().user = { ...alice, is_guest: isGuest }
  useRoomsStore().loaded = true
  const w = mount(DirectMessagesSection)
  expect(w.find('[data-testid="new-dm"]').exists()).toBe(!isGuest)
  return w.find('.empty').text()
}

describe('DirectMessagesSection', () => {
  it('tells a guest, who has no "New message", how a conversation can start instead', () => {
    const guest = emptyFor(true)
    expect(guest).toContain('Guests cannot start direct messages')
    expect(guest).not.toContain('New message')
    expect(emptyFor(false)).toContain('“New message”')
  })
})
