/**
 * Web Push's endpoints (`GET push/key`, `GET/POST push/subscriptions`,
 * `DELETE push/subscriptions/{id}`) and the profile's `push_hide_text`. They go through the
 * client's one request path (`send`: language, CSRF, a failed network as status 0) and
 * `call` (the error shape, the 401 handler) like every other endpoint.
 */
import { API_BASE, call, send } from './client'

/** A device that receives this account's pushes (a browser's subscription). */
export interface PushDevice {
  id: number
  endpoint: string
  /** Made by the server from the browser's User-Agent, e.g. "Chrome on Android". */
  label: string
  created_at: string
  /** The last push delivered to it, or null before the first. */
  last_used_at: string | null
}

/** The part of `PushSubscription.toJSON()` the server stores. */
export interface SubscriptionJSON {
  endpoint?: string
  keys?: Record<string, string>
}

async function request<D>(method: string, path: string, body?: unknown): Promise<D> {
  const pending = (async () => {
    const response = await send(
      new Request(location.origin + API_BASE + path, {
        method,
        credentials: 'same-origin',
        headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
    )
    const parsed: unknown = response.status === 204 ? undefined : await response.json().catch(() => undefined)
    return response.ok ? { data: parsed as D, response } : { error: parsed, response }
  })()
  return call<D>(pending)
}

export const pushApi = {
  /** The server's VAPID public key, base64url (an uncompressed P-256 point). */
  key: () => request<{ public_key: string }>('GET', 'push/key').then((r) => r.public_key),
  /** 201 for a new device, 200 when the endpoint is known (it moves to this account). */
  subscribe: (sub: SubscriptionJSON) =>
    request<PushDevice>('POST', 'push/subscriptions', { endpoint: sub.endpoint, keys: sub.keys }),
  /** The account's devices, newest first. */
  devices: () => request<PushDevice[] | { subscriptions: PushDevice[] }>('GET', 'push/subscriptions').then(listOf),
  remove: (id: number) => request<void>('DELETE', `push/subscriptions/${id}`),
  /** `PATCH me {push_hide_text}`: the saved value from the answer's user. */
  setHideText: (hide: boolean) =>
    request<{ user: { push_hide_text?: boolean } }>('PATCH', 'me', { push_hide_text: hide }).then((r) => r.user.push_hide_text === true),
  hideText: () => request<{ user: { push_hide_text?: boolean } }>('GET', 'me').then((r) => r.user.push_hide_text === true),
}

/** The list as a bare array (the agreed shape) or wrapped (`{subscriptions}`). */
function listOf(answer: PushDevice[] | { subscriptions: PushDevice[] }): PushDevice[] {
  return Array.isArray(answer) ? answer : answer.subscriptions
}
