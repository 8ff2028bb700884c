import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { ApiError } from '@/api'
import { SignedOutError } from '@/realtime/connection'
import { dispatchFrame, startRealtime, stopRealtime, ticketSocketUrl } from '@/realtime/session'
import type { ServerFrame } from '@/realtime/protocol'
import { useAuthStore } from '@/stores/auth'
import { alice, factory, FakeWebSocket, flush, jsonResponse, mockFetch } from '@/test-utils/fakes'

describe('WebSocket tickets', () => {
  let http: ReturnType<typeof mockFetch>
  beforeEach(() => {
    FakeWebSocket.reset()
    setActivePinia(createPinia())
    http = mockFetch()
  })
  afterEach(() => stopRealtime())

  it('builds /ws/?ticket= from POST auth/ws-ticket, escaping the ticket', async () => {
    http.route('POST auth/ws-ticket', () => jsonResponse(201, { ticket: 'a+b/c', expires_in: 30 }))
    expect(await ticketSocketUrl('ws://h/ws/')).toBe('ws://h/ws/?ticket=a%2Bb%2Fc&lang=en&wire=compact')
    expect(http.callsTo('POST auth/ws-ticket')).toHaveLength(1)
  })

  it('a 401 means signed out; other failures stay ordinary errors (the backoff retries)', async () => {
    http.route('POST auth/ws-ticket', () =>
      jsonResponse(401, { error: { code: 'not_authenticated', message: 'Sign in first.', fields: {} } }),
    )
    await expect(ticketSocketUrl('ws://h/ws/')).rejects.toBeInstanceOf(SignedOutError)

    http.route('POST auth/ws-ticket', () =>
      jsonResponse(429, { error: { code: 'rate_limited', message: 'Slow down.', fields: {} } }),
    )
    const err = await ticketSocketUrl('ws://h/ws/').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect(err).not.toBeInstanceOf(SignedOutError)

    http.fn.mockImplementationOnce(async () => {
      throw new TypeError('Failed to fetch')
    })
    const net = await ticketSocketUrl('ws://h/ws/').catch((e: unknown) => e)
    expect(net).toBeInstanceOf(ApiError)
    expect((net as ApiError).status).toBe(0)
  })

  it('the app socket connects with a fresh ticket each time, and a 401 signs the user out', async () => {
    vi.useFakeTimers()
    try {
      let n = 0
      http.route('POST auth/ws-ticket', () => jsonResponse(201, { ticket: `t${++n}`, expires_in: 30 }))
      const auth = useAuthStore()
      auth.user = alice
      startRealtime({ createSocket: factory })
      await flush(6)
      expect(FakeWebSocket.last.url).toMatch(/\/ws\/\?ticket=t1&lang=en&wire=compact$/)
      FakeWebSocket.last.hello(alice)

      FakeWebSocket.last.serverClose(1006)
      await vi.advanceTimersByTimeAsync(1000)
      await flush(6)
      expect(FakeWebSocket.instances).toHaveLength(2)
      expect(FakeWebSocket.last.url).toMatch(/\/ws\/\?ticket=t2&lang=en&wire=compact$/)

      http.route('POST auth/ws-ticket', () =>
        jsonResponse(401, { error: { code: 'not_authenticated', message: 'Sign in first.', fields: {} } }),
      )
      FakeWebSocket.last.serverClose(1006)
      await vi.advanceTimersByTimeAsync(1000)
      await flush(6)
      expect(FakeWebSocket.instances).toHaveLength(2)
      expect(auth.user).toBeNull()
    } finally {
      vi.useRealTimers()
    }
  })
})

describe('frame dispatch', () => {
  beforeEach(() => setActivePinia(createPinia()))
  afterEach(() => vi.restoreAllMocks())

  it('a frame of a type this page does not know (a newer server) is ignored with a warning', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined)
    useAuthStore().user = alice
    const frame = { type: 'thread.summary', room: 1, root: 5 } as unknown as ServerFrame
    expect(() => dispatchFrame(frame)).not.toThrow()
    expect(warn).toHaveBeenCalledTimes(1)
    expect(String(warn.mock.calls[0]![1])).toBe('thread.summary')
    expect(useAuthStore().user).toEqual(alice)
  })

  it('keepalive frames that reach it are routed nowhere, without a warning', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined)
    dispatchFrame({ type: 'pong' })
    dispatchFrame({ type: 'ping' })
    expect(warn).not.toHaveBeenCalled()
  })
})
