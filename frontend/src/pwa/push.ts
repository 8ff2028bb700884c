/**
 * Web Push as the service worker and the account page see it: the payload the server
 * sends (the contract lives beside the server's sender), the notification made of it,
 * and the window a click opens. Pure functions, so both sides and the unit tests share
 * them; nothing here touches a browser API.
 */

/** What the server puts in a push (`event.data.json()`), version 1. */
export interface PushPayload {
  title: string
  body: string
  /** Path (and query) inside the app that a click opens, e.g. `/rooms/12?msg=345&seq=67`. */
  url: string
  /** One notification per tag: a later push for the same room replaces the earlier one. */
  tag: string
  room: number | null
  message_id: number | null
  /** How many messages this notification stands for (coalesced pushes: more than one). */
  count: number
  /** The person chose to keep message text off the lock screen. */
  hidden: boolean
}

/** Words the worker needs when the payload does not carry them (locales/*.json `pwa`). */
export interface PushWords {
  newMessage: string
}

const APP_NAME = 'Parley'

function text(v: unknown, max: number): string {
  return typeof v === 'string' ? v.slice(0, max) : ''
}

function id(v: unknown): number | null {
  return typeof v === 'number' && Number.isSafeInteger(v) && v > 0 ? v : null
}

/**
 * A path inside this app, or `/` for anything else: a push must not be able to send the
 * reader to another site (an absolute URL, `//host`, `javascript:`), whatever it carries.
 */
export function appPath(url: unknown): string {
  if (typeof url !== 'string' || !url.startsWith('/') || url.startsWith('//') || url.startsWith('/\\')) return '/'
  try {
    const parsed = new URL(url, 'https://parley.invalid')
    if (parsed.origin !== 'https://parley.invalid') return '/'
    return parsed.pathname + parsed.search + parsed.hash
  } catch {
    return '/'
  }
}

/** The payload as the worker trusts it: missing or mistyped fields get safe defaults. */
export function parsePushPayload(data: unknown): PushPayload {
  const d = data && typeof data === 'object' ? (data as Record<string, unknown>) : {}
  const room = id(d.room)
  const count = typeof d.count === 'number' && Number.isSafeInteger(d.count) && d.count > 0 ? d.count : 1
  return {
    title: text(d.title, 200),
    body: text(d.body, 500),
    url: appPath(d.url ?? (room ? `/rooms/${room}` : '/')),
    tag: text(d.tag, 100) || (room ? `room-${room}` : 'parley'),
    room,
    message_id: id(d.message_id),
    count,
    hidden: d.hidden === true,
  }
}

/** The title and options of the notification a payload shows. */
export function notificationFor(
  payload: PushPayload,
  words: PushWords,
  icon: string,
): { title: string; options: NotificationOptions & { renotify?: boolean } } {
  // Hidden: the lock screen shows neither who wrote nor what, whatever the payload says.
  const title = payload.hidden ? APP_NAME : payload.title || APP_NAME
  const body = payload.hidden ? words.newMessage : payload.body || words.newMessage
  return {
    title,
    options: {
      body,
      tag: payload.tag,
      // A replacement of an earlier notification (the same room) still alerts.
      renotify: payload.count > 1,
      icon,
      badge: icon,
      // The payload as checked (what a click opens, its room and message), with the words shown.
      data: { ...payload, title, body },
    },
  }
}

/** `applicationServerKey` from the server's base64url public key (GET push/key). */
export function base64UrlToBytes(value: string): Uint8Array<ArrayBuffer> {
  const b64 = value.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(value.length / 4) * 4, '=')
  const raw = atob(b64)
  const out = new Uint8Array(new ArrayBuffer(raw.length))
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i)
  return out
}

/** Does this subscription use that key? (A server whose key changed needs a new one.) */
export function sameKey(a: ArrayBuffer | null | undefined, b: Uint8Array): boolean {
  if (!a) return false
  const x = new Uint8Array(a)
  return x.length === b.length && x.every((v, i) => v === b[i])
}
