import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { dispatchFrame } from '@/realtime/session'
import { useAuthStore } from '@/stores/auth'
import { alice, mockFetch } from '@/test-utils/fakes'
import { serverFrame } from '@/test-utils/frames'

describe('auth store: the staff flag', () => {
  beforeEach(() => setActivePinia(createPinia()))
  afterEach(() => vi.unstubAllGlobals())

  it('comes from me, outlives a hello (frames do not carry it) and ends with the session', async () => {
    const server = mockFetch()
    server.route('GET me', () => ({ user: { ...alice, is_staff: true } }))
    const auth = useAuthStore()
    await auth.init()
    expect(auth.isStaff).toBe(true)

    dispatchFrame(serverFrame('hello', { user: alice }))
    expect(auth.user?.id).toBe(alice.id)
    expect(auth.isStaff).toBe(true)

    auth.sessionLost()
    expect(auth.isStaff).toBe(false)
  })

  it('is off for a member who signs in', async () => {
    const server = mockFetch()
    server.route('POST auth/login', () => ({ user: { ...alice, is_staff: false }, token: 't' }))
    const auth = useAuthStore()
    await auth.login('alice', 'a long enough passphrase')
    expect(auth.user?.username).toBe(alice.username)
    expect(auth.isStaff).toBe(false)
  })
})
