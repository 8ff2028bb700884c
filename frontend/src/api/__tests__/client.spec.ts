import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { api, ApiError, setUnauthorizedHandler } from '@/api'
import { jsonResponse, mockFetch } from '@/test-utils/fakes'

/** The Request the typed client handed to fetch for the n-th call of a method. */
function sent(http: ReturnType<typeof mockFetch>, method: string): Request {
  const call = http.fn.mock.calls.find((c) => c[0] instanceof Request && c[0].method === method)
  if (!call) throw new Error(`no ${method} request`)
  return call[0] as Request
}

describe('api client', () => {
  beforeEach(() => {
    document.cookie = 'csrftoken=tok123'
  })
  afterEach(() => setUnauthorizedHandler(null))

  it('sends the CSRF header on unsafe requests only, with same-origin credentials and the UI language', async () => {
    const http = mockFetch()
    http.route('POST rooms', () => ({ id: 1 }))
    http.route('GET rooms', () => [])
    await api.createRoom({ name: 'x', topic: '', visibility: 'public' })
    await api.rooms()
    const post = sent(http, 'POST')
    expect(post.headers.get('X-CSRFToken')).toBe('tok123')
    expect(post.headers.get('Content-Type')).toBe('application/json')
    expect(post.credentials).toBe('same-origin')
    const get = sent(http, 'GET')
    expect(get.headers.get('X-CSRFToken')).toBeNull()
    expect(get.headers.get('Accept-Language')).toBe('en')
    expect(http.callsTo('POST rooms')[0]!.body).toEqual({ name: 'x', topic: '', visibility: 'public' })
  })

  it('fills path parameters (escaped) and leaves out empty query values', async () => {
    const http = mockFetch()
    http.route('GET rooms', () => [])
    http.route('POST messages/7/reactions/%F0%9F%91%8D', () => ({ reactions: [] }))
    http.route('GET search', () => ({ results: [], next_cursor: null }))
    await api.rooms()
    await api.react(7, '👍')
    await api.search({ q: 'hi', after: '' })
    expect(http.callsTo('GET rooms')[0]!.url.search).toBe('')
    expect(http.callsTo('POST messages/7/reactions/%F0%9F%91%8D')).toHaveLength(1)
    expect(http.callsTo('GET search')[0]!.url.search).toBe('?q=hi')
  })

  it('turns the error shape into an ApiError with field errors', async () => {
    const http = mockFetch()
    http.route('POST auth/register', () =>
      jsonResponse(400, { error: { code: 'invalid', message: 'Invalid input.', fields: { username: ['Taken.'] } } }),
    )
    const err = await api.register('', '').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect((err as ApiError).status).toBe(400)
    expect((err as ApiError).code).toBe('invalid')
    expect((err as ApiError).field('username')).toBe('Taken.')
  })

  it('a page that is not the error shape (a proxy) still gives an ApiError with the status', async () => {
    const http = mockFetch()
    http.route('GET rooms', () => new Response('<html>Bad gateway</html>', { status: 502 }))
    const err = await api.rooms().catch((e: unknown) => e)
    expect(err).toMatchObject({ status: 502, code: 'http_502' })
  })

  it('calls the 401 handler unless asked to stay quiet', async () => {
    const http = mockFetch()
    const refused = () => jsonResponse(401, { error: { code: 'not_authenticated', message: 'Sign in.' } })
    http.route('GET rooms', refused)
    http.route('GET me', refused)
    const handler = vi.fn()
    setUnauthorizedHandler(handler)
    await expect(api.rooms()).rejects.toBeInstanceOf(ApiError)
    expect(handler).toHaveBeenCalledTimes(1)
    await expect(api.me()).rejects.toBeInstanceOf(ApiError)
    expect(handler).toHaveBeenCalledTimes(1)
  })

  it('asks for a fresh CSRF cookie after a CSRF refusal', async () => {
    const http = mockFetch()
    http.route('POST rooms/1/join', () => jsonResponse(403, { error: { code: 'csrf_failed', message: 'CSRF.' } }))
    await expect(api.joinRoom(1)).rejects.toMatchObject({ status: 403, code: 'csrf_failed' })
    await vi.waitFor(() => expect(http.callsTo('GET auth/csrf').length).toBeGreaterThan(0))
  })

  it('an answer without a body (204) resolves to nothing', async () => {
    const http = mockFetch()
    http.route('POST rooms/1/read', () => undefined)
    await expect(api.markRead(1, 5)).resolves.toBeUndefined()
    expect(http.callsTo('POST rooms/1/read')[0]!.body).toEqual({ seq: 5 })
  })

  it('reports a network failure as status 0', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => Promise.reject(new TypeError('Failed to fetch'))))
    const err = await api.rooms().catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect((err as ApiError).status).toBe(0)
  })
})

describe('the search "From" choices', () => {
  afterEach(() => vi.unstubAllGlobals())

  it('ask search/senders with what is typed, and the room when one is chosen', async () => {
    const server = mockFetch()
    server.route('GET search/senders', () => ({ results: [], has_more: false }))
    await api.searchSenders('bo')
    await api.searchSenders('', 7)
    const queries = server.callsTo('GET search/senders').map((c) => Object.fromEntries(c.url.searchParams))
    expect(queries).toEqual([
      { q: 'bo', limit: '8' },
      { room: '7', limit: '8' },
    ])
  })
})
