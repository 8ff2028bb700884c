import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { ApiError, request, setUnauthorizedHandler } from '@/api/client'
import { jsonResponse, mockFetch } from '@/test-utils/fakes'

describe('api client', () => {
  beforeEach(() => {
    document.cookie = 'csrftoken=tok123'
  })
  afterEach(() => setUnauthorizedHandler(null))

  it('sends the CSRF header on unsafe requests only, with same-origin credentials', async () => {
    const http = mockFetch()
    http.route('POST rooms', () => ({ id: 1 }))
    http.route('GET rooms', () => [])
    await request('rooms', { method: 'POST', body: { name: 'x' } })
    await request('rooms')
    const post = http.fn.mock.calls.find((c) => (c[1] as RequestInit | undefined)?.method === 'POST')!
    const init = post[1] as RequestInit
    expect((init.headers as Record<string, string>)['X-CSRFToken']).toBe('tok123')
    expect(init.credentials).toBe('same-origin')
    const get = http.fn.mock.calls.find((c) => String(c[0]).endsWith('/rooms') && (c[1] as RequestInit).method === 'GET')!
    expect(((get[1] as RequestInit).headers as Record<string, string>)['X-CSRFToken']).toBeUndefined()
  })

  it('turns the error shape into an ApiError with field errors', async () => {
    const http = mockFetch()
    http.route('POST auth/register', () =>
      jsonResponse(400, { error: { code: 'invalid', message: 'Invalid input.', fields: { username: ['Taken.'] } } }),
    )
    const err = await request('auth/register', { method: 'POST', body: {} }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect((err as ApiError).status).toBe(400)
    expect((err as ApiError).code).toBe('invalid')
    expect((err as ApiError).field('username')).toBe('Taken.')
  })

  it('calls the 401 handler unless asked to stay quiet', async () => {
    const http = mockFetch()
    http.route('GET me', () => jsonResponse(401, { error: { code: 'not_authenticated', message: 'Sign in.' } }))
    const handler = vi.fn()
    setUnauthorizedHandler(handler)
    await expect(request('me')).rejects.toBeInstanceOf(ApiError)
    expect(handler).toHaveBeenCalledTimes(1)
    await expect(request('me', { quiet401: true })).rejects.toBeInstanceOf(ApiError)
    expect(handler).toHaveBeenCalledTimes(1)
  })

  it('reports a network failure as status 0', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => Promise.reject(new TypeError('Failed to fetch'))))
    const err = await request('rooms').catch((e: unknown) => e)
    expect((err as ApiError).status).toBe(0)
  })
})
