import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { ApiError } from '@/api/client'
import { forgetUploadRoute, uploadFile } from '@/api/uploads'
import { mockFetch } from '@/test-utils/fakes'

/** Stands in for XMLHttpRequest: records the request, and the test answers it. */
class FakeXhr {
  static last: FakeXhr
  method = ''
  url = ''
  headers: Record<string, string> = {}
  body: FormData | File | string | null = null
  status = 0
  statusText = ''
  responseText = ''
  responseHeaders: Record<string, string> = {}
  upload: {
    onprogress: ((e: { lengthComputable: boolean; loaded: number; total: number }) => void) | null
  } = {
    onprogress: null,
  }
  onload: (() => void) | null = null
  onerror: (() => void) | null = null
  onabort: (() => void) | null = null

  constructor() {
    FakeXhr.last = this
  }
  open(method: string, url: string): void {
    this.method = method
    this.url = url
  }
  setRequestHeader(name: string, value: string): void {
    this.headers[name] = value
  }
  getResponseHeader(name: string): string | null {
    return this.responseHeaders[name] ?? null
  }
  send(body: FormData | File | string): void {
    this.body = body
  }
  abort(): void {
    this.onabort?.()
  }
  answer(status: number, body: unknown, headers: Record<string, string> = {}): void {
    this.status = status
    this.responseText = typeof body === 'string' ? body : JSON.stringify(body)
    this.responseHeaders = headers
    this.onload?.()
  }
}

const file = new File(['hello'], 'hello.txt', { type: 'text/plain' })
const sent = () => new Promise((r) => setTimeout(r, 0))

const presignOff = {
  error: {
    code: 'presigned_uploads_off',
    message: 'Through this server only.',
    fields: {},
  },
}

describe('uploadFile', () => {
  beforeEach(async () => {
    document.cookie = 'csrftoken=tok123'
    mockFetch().route('GET auth/csrf', () => ({}))
    vi.stubGlobal('XMLHttpRequest', FakeXhr)
    // A server without an S3 store: the first upload learns it, the page remembers.
    forgetUploadRoute()
    const first = uploadFile(4, file, () => {})
    await sent()
    FakeXhr.last.answer(404, presignOff)
    await sent()
    FakeXhr.last.answer(201, { id: 1 })
    await first.promise
  })
  afterEach(() => vi.unstubAllGlobals())

  it('posts the file as multipart with the CSRF header and reports progress', async () => {
    const progress: number[] = []
    const handle = uploadFile(4, file, (p) => progress.push(p))
    await sent()
    const xhr = FakeXhr.last
    expect([xhr.method, xhr.url]).toEqual(['POST', '/api/v1/rooms/4/uploads'])
    expect(xhr.headers['X-CSRFToken']).toBe('tok123')
    expect(((xhr.body as FormData).get('file') as File).name).toBe('hello.txt')
    xhr.upload.onprogress!({ lengthComputable: true, loaded: 50, total: 100 })
    xhr.answer(201, { id: 9, name: 'hello.txt' })
    expect(await handle.promise).toMatchObject({ id: 9 })
    expect(progress).toEqual([0.5, 1])
  })

  it('gives the server’s message for a file that is too large', async () => {
    const handle = uploadFile(4, file, () => {})
    await sent()
    FakeXhr.last.answer(413, {
      error: {
        code: 'file_too_large',
        message: 'The file is too large: files are limited to 25 MiB.',
        fields: {},
      },
    })
    const err = (await handle.promise.catch((e: unknown) => e)) as ApiError
    expect([err.status, err.code, err.message]).toEqual([413, 'file_too_large', 'The file is too large: files are limited to 25 MiB.'])
  })

  it('says how long to wait when rate limited, and what happened when a proxy refused the size', async () => {
    const limited = uploadFile(4, file, () => {})
    await sent()
    FakeXhr.last.answer(
      429,
      {
        error: {
          code: 'rate_limited',
          message: 'Request was throttled.',
          fields: {},
        },
      },
      { 'Retry-After': '42' },
    )
    expect(((await limited.promise.catch((e: unknown) => e)) as ApiError).message).toBe('Too many uploads; try again in 42 s.')
    const proxy = uploadFile(4, file, () => {})
    await sent()
    FakeXhr.last.answer(413, '<html>413 Request Entity Too Large</html>')
    expect(((await proxy.promise.catch((e: unknown) => e)) as ApiError).message).toBe('The file is too large.')
  })

  it('an aborted upload rejects as aborted, even one not sent yet', async () => {
    const handle = uploadFile(4, file, () => {})
    await sent()
    handle.abort()
    expect(((await handle.promise.catch((e: unknown) => e)) as ApiError).code).toBe('aborted')
    const early = uploadFile(4, file, () => {})
    early.abort() // before the CSRF step has finished
    expect(((await early.promise.catch((e: unknown) => e)) as ApiError).code).toBe('aborted')
    expect(FakeXhr.last.body).toBeNull() // nothing was sent
  })
})

describe('uploadFile straight to an S3-compatible store', () => {
  beforeEach(() => {
    document.cookie = 'csrftoken=tok123'
    mockFetch().route('GET auth/csrf', () => ({}))
    vi.stubGlobal('XMLHttpRequest', FakeXhr)
    forgetUploadRoute()
  })
  afterEach(() => vi.unstubAllGlobals())

  const ticket = {
    key: 'k1',
    url: 'https://store.example/bucket/4/abc?X-Amz-Signature=s',
    method: 'PUT',
    headers: { 'Content-Type': 'text/plain' },
    expires_at: '2026-12-07T20:00:00Z',
  }

  it('asks for an address, sends the bytes there with only the signed headers, then completes', async () => {
    const progress: number[] = []
    const handle = uploadFile(4, file, (p) => progress.push(p))
    await sent()
    const asked = FakeXhr.last
    expect([asked.method, asked.url]).toEqual(['POST', '/api/v1/rooms/4/uploads/presign'])
    expect(JSON.parse(asked.body as string)).toEqual({
      name: 'hello.txt',
      size: 5,
      content_type: 'text/plain',
    })
    expect(asked.headers['X-CSRFToken']).toBe('tok123')
    asked.answer(201, ticket)
    await sent()
    const put = FakeXhr.last
    expect([put.method, put.url, put.body]).toEqual(['PUT', ticket.url, file])
    expect(put.headers).toEqual({ 'Content-Type': 'text/plain' }) // no cookie token, no preflight surprises
    put.upload.onprogress!({ lengthComputable: true, loaded: 25, total: 100 })
    put.answer(200, '')
    await sent()
    const done = FakeXhr.last
    expect([done.method, done.url]).toEqual(['POST', '/api/v1/uploads/presigned/k1/complete'])
    done.answer(201, { id: 9, name: 'hello.txt' })
    expect(await handle.promise).toMatchObject({ id: 9 })
    expect(progress).toEqual([0.25, 1])
  })

  it('uses the multipart path when the server has no store, and from then on directly', async () => {
    const first = uploadFile(4, file, () => {})
    await sent()
    FakeXhr.last.answer(404, presignOff)
    await sent()
    expect([FakeXhr.last.method, FakeXhr.last.url]).toEqual(['POST', '/api/v1/rooms/4/uploads'])
    FakeXhr.last.answer(201, { id: 3 })
    expect(await first.promise).toMatchObject({ id: 3 })
    const second = uploadFile(4, file, () => {})
    await sent()
    expect(FakeXhr.last.url).toBe('/api/v1/rooms/4/uploads')
    FakeXhr.last.answer(201, { id: 4 })
    expect(await second.promise).toMatchObject({ id: 4 })
  })

  it('fails with the server’s reason, or when the store refuses the bytes', async () => {
    const big = uploadFile(4, file, () => {})
    await sent()
    FakeXhr.last.answer(413, {
      error: { code: 'file_too_large', message: 'Too large.', fields: {} },
    })
    expect(((await big.promise.catch((e: unknown) => e)) as ApiError).code).toBe('file_too_large')
    const refused = uploadFile(4, file, () => {})
    await sent()
    FakeXhr.last.answer(201, ticket)
    await sent()
    FakeXhr.last.answer(403, '<Error><Code>AccessDenied</Code></Error>')
    const err = (await refused.promise.catch((e: unknown) => e)) as ApiError
    expect([err.status, err.code]).toEqual([403, 'store_refused'])
  })
})
