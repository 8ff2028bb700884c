import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { api } from '@/api'
import '@/router'
import { dispatchFrame, startRealtime, stopRealtime, ticketSocketUrl } from '@/realtime/session'
import { useAuthStore } from '@/stores/auth'
import { alice, factory, FakeWebSocket, jsonResponse, mockFetch } from '@/test-utils/fakes'
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

describe('auth store: why a login ended', () => {
  beforeEach(() => {
    FakeWebSocket.reset()
    setActivePinia(createPinia())
  })
  afterEach(() => {
    stopRealtime()
    vi.unstubAllGlobals()
  })

  const signedOut = (reason: string) =>
    jsonResponse(401, { error: { code: 'signed_out', message: 'Signed out.', fields: {}, reason } })

  it('keeps the reason of the socket\'s close', () => {
    mockFetch()
    const auth = useAuthStore()
    auth.user = alice
    startRealtime({ createSocket: factory, url: 'ws://test/ws/' })
    FakeWebSocket.last.hello(alice)
    FakeWebSocket.last.serverClose(4003, 'account_deleted')
    expect(auth.user).toBeNull()
    expect(auth.signedOutReason).toBe('account_deleted')
  })

  it('keeps the reason of a REST 401 signed_out, and of the ticket refused after a close 4001', async () => {
    const server = mockFetch()
    server.route('GET rooms', () => signedOut('account_deactivated'))
    server.route('POST auth/ws-ticket', () => signedOut('password_changed'))
    const auth = useAuthStore()
    auth.user = alice
    await expect(api.rooms()).rejects.toMatchObject({ code: 'signed_out', reason: 'account_deactivated' })
    expect(auth.signedOutReason).toBe('account_deactivated')
    await expect(ticketSocketUrl('ws://test/ws/')).rejects.toMatchObject({ reason: 'password_changed' })
  })

  it('forgets it at the next sign-in, and shows no reason it does not know', async () => {
    const server = mockFetch()
    server.route('POST auth/login', () => ({ user: { ...alice, is_staff: false }, token: 't' }))
    const auth = useAuthStore()
    auth.sessionLost('password_reset')
    expect(auth.signedOutReason).toBe('password_reset')
    await auth.login('alice', 'a long enough passphrase')
    expect(auth.signedOutReason).toBeNull()
    auth.sessionLost('something_new')
    expect(auth.signedOutReason).toBeNull()
  })
})
