/**
 * The one HTTP client: CSRF header on unsafe methods, the error shape,
 * and 401 handling live here and nowhere else.
 */

import { currentLocale, t } from '@/i18n'

export const API_BASE = '/api/v1/'

export type FieldErrors = Record<string, string[]>

export class ApiError extends Error {
  readonly status: number
  readonly code: string
  readonly fields: FieldErrors

  constructor(status: number, code: string, message: string, fields: FieldErrors = {}) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.code = code
    this.fields = fields
  }

  /** First message for a field, if the server gave one. */
  field(name: string): string | undefined {
    return this.fields[name]?.[0]
  }
}

/** Thrown (as an ApiError with status 0) when the network itself failed. */
export function isNetworkError(err: unknown): boolean {
  return err instanceof ApiError && err.status === 0
}

type UnauthorizedHandler = () => void
let onUnauthorized: UnauthorizedHandler | null = null

/** Register what to do on a 401 (the router sends the user to sign-in). */
export function setUnauthorizedHandler(handler: UnauthorizedHandler | null): void {
  onUnauthorized = handler
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

export function readCookie(name: string): string | null {
  if (typeof document === 'undefined') return null
  for (const part of document.cookie.split(';')) {
    const [k, ...v] = part.trim().split('=')
    if (k === name) return decodeURIComponent(v.join('='))
  }
  return null
}

let csrfReady: Promise<void> | null = null

/** GET auth/csrf once so the csrftoken cookie exists before the first unsafe request. */
export function ensureCsrf(force = false): Promise<void> {
  if (force || !csrfReady) {
    csrfReady = fetch(API_BASE + 'auth/csrf', { credentials: 'same-origin', headers: { 'Accept-Language': currentLocale() } })
      .then(() => undefined)
      .catch(() => {
        csrfReady = null
      })
  }
  return csrfReady
}

export type Query = Record<string, string | number | boolean | undefined | null>

export interface RequestOptions {
  method?: string
  body?: unknown
  query?: Query
  /** Do not run the global 401 handler (e.g. GET me at start-up). */
  quiet401?: boolean
  signal?: AbortSignal
}

function buildUrl(path: string, query?: Query): string {
  let url = API_BASE + path.replace(/^\//, '')
  if (query) {
    const params = new URLSearchParams()
    for (const [k, v] of Object.entries(query)) {
      if (v !== undefined && v !== null && v !== '') params.set(k, String(v))
    }
    const qs = params.toString()
    if (qs) url += '?' + qs
  }
  return url
}

async function parseError(res: Response): Promise<ApiError> {
  let code = 'http_' + res.status
  // Not the status text: it is English (or empty over HTTP/2); the server's own message is translated.
  let message = t('errors.requestFailed', { status: res.status })
  let fields: FieldErrors = {}
  try {
    const data = (await res.json()) as { error?: { code?: string; message?: string; fields?: FieldErrors } }
    if (data && data.error) {
      code = data.error.code ?? code
      message = data.error.message ?? message
      fields = data.error.fields ?? {}
    }
  } catch {
    // not JSON: keep the status text
  }
  return new ApiError(res.status, code, message, fields)
}

export async function request<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const method = (opts.method ?? 'GET').toUpperCase()
  // Server messages come back in the UI language (Django's codes: en, zh-hans, ko, ja).
  const headers: Record<string, string> = { Accept: 'application/json', 'Accept-Language': currentLocale() }
  if (!SAFE_METHODS.has(method)) {
    await ensureCsrf()
    const token = readCookie('csrftoken')
    if (token) headers['X-CSRFToken'] = token
  }
  let body: string | FormData | undefined
  if (opts.body instanceof FormData) {
    body = opts.body // the browser sets the multipart boundary
  } else if (opts.body !== undefined) {
    headers['Content-Type'] = 'application/json'
    body = JSON.stringify(opts.body)
  }
  let res: Response
  try {
    res = await fetch(buildUrl(path, opts.query), {
      method,
      headers,
      body,
      credentials: 'same-origin',
      signal: opts.signal,
    })
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err
    throw new ApiError(0, 'network', t('errors.network'))
  }
  if (!res.ok) {
    const err = await parseError(res)
    if (res.status === 401 && !opts.quiet401 && onUnauthorized) onUnauthorized()
    if (res.status === 403 && err.code.startsWith('csrf')) ensureCsrf(true)
    throw err
  }
  if (res.status === 204) return undefined as T
  const text = await res.text()
  return (text ? JSON.parse(text) : undefined) as T
}

export const http = {
  get: <T>(path: string, query?: Query, opts: RequestOptions = {}) =>
    request<T>(path, { ...opts, method: 'GET', query }),
  post: <T>(path: string, body?: unknown, opts: RequestOptions = {}) =>
    request<T>(path, { ...opts, method: 'POST', body }),
  patch: <T>(path: string, body?: unknown) => request<T>(path, { method: 'PATCH', body }),
  del: <T>(path: string, body?: unknown) => request<T>(path, { method: 'DELETE', body }),
}
