/** Test doubles: a scriptable WebSocket and a routed fetch mock. */
import { vi } from 'vitest'
import type { WebSocketLike } from '@/realtime/connection'
import type { HelloRoom, MessageFrame, ServerFrame } from '@/realtime/protocol'
import type { Message, Room, User } from '@/api/types'
import { serverFrame } from './frames'

export class FakeWebSocket implements WebSocketLike {
  static instances: FakeWebSocket[] = []
  static reset(): void {
    FakeWebSocket.instances = []
  }
  static get last(): FakeWebSocket {
    const ws = FakeWebSocket.instances[FakeWebSocket.instances.length - 1]
    if (!ws) throw new Error('no socket created')
    return ws
  }

  readyState = 0
  sent: Array<Record<string, unknown>> = []
  closedByClient = false
  onopen: ((ev: Event) => void) | null = null
  onmessage: ((ev: MessageEvent) => void) | null = null
  onclose: ((ev: CloseEvent) => void) | null = null
  onerror: ((ev: Event) => void) | null = null

  constructor(public url: string) {
    FakeWebSocket.instances.push(this)
  }

  send(data: string): void {
    if (this.readyState !== 1) throw new Error('not open')
    this.sent.push(JSON.parse(data) as Record<string, unknown>)
  }

  close(): void {
    this.closedByClient = true
    this.readyState = 3
  }

  // ---- driven by the test ----
  open(): void {
    this.readyState = 1
    this.onopen?.(new Event('open'))
  }

  receive(frame: ServerFrame): void {
    this.onmessage?.({ data: JSON.stringify(frame) } as MessageEvent)
  }

  hello(user: User, rooms: HelloRoom[] = []): void {
    if (this.readyState !== 1) this.open()
    this.receive(serverFrame('hello', { user, rooms }))
  }

  serverClose(code = 1006, reason = ''): void {
    this.readyState = 3
    this.onclose?.({ code, reason } as CloseEvent)
  }

  sentOfType(type: string): Array<Record<string, unknown>> {
    return this.sent.filter((f) => f.type === type)
  }
}

export const factory = (url: string) => new FakeWebSocket(url)

type Handler = (url: URL, init: RequestInit) => unknown | Promise<unknown>

/** What a Request carries, as the options of `fetch(url, init)` (headers as a plain record). */
function initOf(request: Request): RequestInit | Promise<RequestInit> {
  const headers: Record<string, string> = {}
  request.headers.forEach((value, key) => {
    headers[key] = value
  })
  // Without a body, synchronously: a route is then called in the same tick as fetch.
  if (request.body === null) return { method: request.method, headers }
  const multipart = (request.headers.get('Content-Type') ?? '').startsWith('multipart/')
  const body = multipart ? request.clone().formData() : request.clone().text()
  return body.then((b) => ({ method: request.method, headers, body: b === '' ? undefined : b }))
}

/** fetch mock: `route('GET rooms/1/events', handler)`; handler returns a JSON body or a Response. */
export function mockFetch() {
  const routes: Array<{ method: string; path: string; handler: Handler }> = []
  const calls: Array<{ method: string; url: URL; body: unknown }> = []
  const fn = vi.fn(async (input: RequestInfo | URL, given: RequestInit = {}) => {
    // The typed client sends a Request; a few callers (the CSRF cookie) a URL and options.
    const read = input instanceof Request ? initOf(input) : given
    const init: RequestInit = read instanceof Promise ? await read : read
    const url = new URL(input instanceof Request ? input.url : String(input), 'http://localhost')
    const method = (init.method ?? 'GET').toUpperCase()
    const json = typeof init.body === 'string' && init.body !== '' ? (JSON.parse(init.body) as unknown) : undefined
    calls.push({ method, url, body: json })
    const path = url.pathname.replace(/^\/api\/v1\//, '')
    const r = routes.find((x) => x.method === method && x.path === path)
    if (!r) {
      if (path === 'auth/csrf') return new Response(null, { status: 204 })
      return new Response(JSON.stringify({ error: { code: 'not_found', message: 'no route ' + path } }), {
        status: 404,
        headers: { 'Content-Type': 'application/json' },
      })
    }
    const out = await r.handler(url, init)
    if (out instanceof Response) return out
    if (out === undefined) return new Response(null, { status: 204 })
    return new Response(JSON.stringify(out), { status: 200, headers: { 'Content-Type': 'application/json' } })
  })
  vi.stubGlobal('fetch', fn)
  return {
    fn,
    calls,
    route(spec: string, handler: Handler) {
      const [method, path] = spec.split(' ') as [string, string]
      routes.unshift({ method, path, handler })
    },
    callsTo(spec: string) {
      const [method, path] = spec.split(' ') as [string, string]
      return calls.filter((c) => c.method === method && c.url.pathname === '/api/v1/' + path)
    },
  }
}

export function jsonResponse(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } })
}

/** The signed-in user of the captured conversation (the `hello`'s user). */
export const alice: User = serverFrame('hello').user
/** The other member: the one typing and writing to alice. */
export const bob: User = serverFrame('typing').user

/** A room as `GET rooms` lists it: the captured broadcast room plus the viewer's fields. */
export function makeRoom(over: Partial<Room> = {}): Room {
  return {
    ...serverFrame('room.created').room,
    id: 1,
    name: 'general',
    topic: '',
    owner: alice,
    member_count: 2,
    online_count: 1,
    last_seq: 0,
    closed: false,
    is_member: true,
    unread_count: 0,
    mention_count: 0,
    muted: false,
    muted_until: null,
    notify: 'mentions',
    hidden: false,
    last_read_seq: 0,
    members_can_invite: false,
    members_can_pin: false,
    link_previews: true,
    dm_presence: [],
    retention_days: null,
    retention_policy: { default_days: null, min_days: 1, max_days: 3650 },
    ...over,
  }
}

let nextId = 1000
/** The captured message from bob in room 1, at `seq`. */
export function makeMessage(seq: number, over: Partial<Message> = {}): Message {
  return {
    ...serverFrame('message').message,
    id: over.id ?? nextId++,
    room: 1,
    seq,
    sender: bob,
    body: `message ${seq}`,
    created_at: new Date(Date.UTC(2025, 0, 1, 12, 0, seq)).toISOString(),
    client_id: `c-${seq}`,
    ...over,
  }
}

export function messageFrame(m: Message): MessageFrame {
  return serverFrame('message', { room: m.room, seq: m.seq, message: m })
}

/** Let pending promise callbacks run. */
export async function flush(times = 3): Promise<void> {
  for (let i = 0; i < times; i++) {
    if (vi.isFakeTimers()) await vi.advanceTimersByTimeAsync(0)
    else await new Promise((r) => setTimeout(r, 0))
  }
}
