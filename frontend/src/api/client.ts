/**
 * The one HTTP client: CSRF header on unsafe methods, the error shape,
 * and 401 handling live here and nowhere else. Paths, parameters and answers
 * are typed by the generated schema through openapi-fetch (`rest`, `call`).
 */

import createClient from 'openapi-fetch'
import { currentLocale, t } from '@/i18n'
import type { paths } from './schema.gen'

export const API_BASE = '/api/v1/'

export type FieldErrors = Record<string, string[]>

export class ApiError extends Error {
  readonly status: number
  readonly code: string
  readonly fields: FieldErrors
  /** Only with code `signed_out`: why the login ended (`password_changed`, `account_deleted`, ...). */
  readonly reason: string | undefined
  /** The error object as sent: `otp_required` adds `methods` and `login_token` (utils/twoFactor). */
  readonly detail: Record<string, unknown>

  constructor(
    status: number,
    code: string,
    message: string,
    fields: FieldErrors = {},
    reason?: string,
    detail: Record<string, unknown> = {},
  ) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.code = code
    this.fields = fields
    this.reason = reason
    this.detail = detail
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

type UnauthorizedHandler = (err: ApiError) => void
let onUnauthorized: UnauthorizedHandler | null = null

/** Register what to do on a 401 (the router sends the user to sign-in). */
export function setUnauthorizedHandler(handler: UnauthorizedHandler | null): void {
  onUnauthorized = handler
}

let onSecondFactorRequired: (() => void) | null = null

/** Register what to do on a 403 `second_factor_required` (REQUIRE_2FA: go to enrolment). */
export function setSecondFactorRequiredHandler(handler: (() => void) | null): void {
  onSecondFactorRequired = handler
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

/**
 * Every request of the typed client passes here: the headers the server reads (the UI
 * language, CSRF on unsafe methods) and a failed network turned into an ApiError (status 0).
 * `fetch` is looked up at each call, so a test's stub of it is the one used.
 */
export async function send(request: Request): Promise<Response> {
  request.headers.set('Accept', 'application/json')
  // Server messages come back in the UI language (Django's codes: en, zh-hans, ko, ja).
  request.headers.set('Accept-Language', currentLocale())
  if (!SAFE_METHODS.has(request.method)) {
    await ensureCsrf()
    const token = readCookie('csrftoken')
    if (token) request.headers.set('X-CSRFToken', token)
  }
  try {
    return await fetch(request)
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err
    throw new ApiError(0, 'network', t('errors.network'))
  }
}

/** Query strings as the server reads them: absent, null and empty values are left out. */
function serializeQuery(query: Record<string, unknown>): string {
  const params = new URLSearchParams()
  for (const [k, v] of Object.entries(query)) {
    if (v !== undefined && v !== null && v !== '') params.set(k, String(v))
  }
  return params.toString()
}

/**
 * The REST client typed by the server's schema (schema.gen.ts from docs/api/openapi.yaml):
 * a path, its parameters, its body and its answer are checked against the schema, so a
 * path the server does not have, or a field it does not take, fails `vue-tsc`.
 * The origin is explicit because a Request needs an absolute URL.
 */
export const rest = createClient<paths>({
  baseUrl: typeof location === 'undefined' ? '' : location.origin,
  credentials: 'same-origin',
  fetch: send,
  querySerializer: serializeQuery,
})

/** The error shape `{error: {code, message, fields}}` (or a proxy's page) as an ApiError. */
function errorOf(status: number, body: unknown): ApiError {
  // Not the status text: it is English (or empty over HTTP/2); the server's own message is translated.
  const fallback = t('errors.requestFailed', { status })
  const shape =
    body && typeof body === 'object'
      ? (body as { error?: { code?: string; message?: string; fields?: FieldErrors; reason?: string } }).error
      : undefined
  if (!shape) return new ApiError(status, 'http_' + status, fallback)
  return new ApiError(
    status,
    shape.code ?? 'http_' + status,
    shape.message ?? fallback,
    shape.fields ?? {},
    shape.reason,
    shape as Record<string, unknown>,
  )
}

export interface CallOptions {
  /** Do not run the global 401 handler (e.g. GET me at start-up). */
  quiet401?: boolean
}

/**
 * The answer of one typed request: its data, or the server's refusal thrown as an ApiError
 * after the one place that reacts to it (401: signed out; a CSRF refusal: a fresh cookie).
 */
export async function call<D>(
  pending: Promise<{ data?: D; error?: unknown; response: Response }>,
  opts: CallOptions = {},
): Promise<D> {
  const { data, error, response } = await pending
  if (!response.ok) {
    const err = errorOf(response.status, error)
    if (response.status === 401 && !opts.quiet401 && onUnauthorized) onUnauthorized(err)
    if (response.status === 403 && err.code.startsWith('csrf')) void ensureCsrf(true)
    if (response.status === 403 && err.code === 'second_factor_required' && onSecondFactorRequired) onSecondFactorRequired()
    throw err
  }
  return data as D
}
