import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { dispatchFrame } from '@/realtime/session'
import { useAuthStore } from '@/stores/auth'
import { alice, jsonResponse, mockFetch } from '@/test-utils/fakes'
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

describe('auth store: a new account or guest starts in the browser\'s time zone', () => {
  beforeEach(() => setActivePinia(createPinia()))
  afterEach(() => {
    vi.unstubAllGlobals()
    vi.restoreAllMocks()
  })

  function browserIn(zone: string): void {
    const real = Intl.DateTimeFormat.prototype.resolvedOptions
    vi.spyOn(Intl.DateTimeFormat.prototype, 'resolvedOptions').mockImplementation(function (this: Intl.DateTimeFormat) {
      return { ...real.call(this), timeZone: zone }
    })
  }

  it('sends the zone when registering and at guest sign-in', async () => {
    browserIn('Asia/Seoul')
    const server = mockFetch()
    server.route('POST auth/register', () => ({ user: { ...alice, time_zone: 'Asia/Seoul', language: 'en' }, token: 't' }))
    server.route('POST auth/guest', () => ({ user: { ...alice, time_zone: 'Asia/Seoul', language: 'en' }, token: 't' }))
    const auth = useAuthStore()
    await auth.register('alice', 'a long enough passphrase')
    await auth.guest('Al')
    expect(server.callsTo('POST auth/register')[0]!.body).toMatchObject({ time_zone: 'Asia/Seoul' })
    expect(server.callsTo('POST auth/guest')[0]!.body).toMatchObject({ time_zone: 'Asia/Seoul' })
  })

  it('joins without it when the server refuses the name', async () => {
    browserIn('Mars/Olympus')
    const server = mockFetch()
    server.route('POST auth/guest', (_url, init) => {
      const body = JSON.parse(String(init.body)) as Record<string, unknown>
      if ('time_zone' in body) {
        return jsonResponse(400, { error: { code: 'invalid', message: 'bad', fields: { time_zone: ['Unknown time zone.'] } } })
      }
      return { user: { ...alice, language: 'en' }, token: 't' }
    })
    const auth = useAuthStore()
    await auth.guest('Al')
    expect(server.callsTo('POST auth/guest').map((c) => 'time_zone' in (c.body as object))).toEqual([true, false])
    expect(auth.user?.id).toBe(alice.id)
  })
})
