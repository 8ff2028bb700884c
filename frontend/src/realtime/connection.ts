/**
 * The socket: connect, hello → resume → ready, keepalive, reconnect with
 * exponential backoff and jitter, and the close codes of the protocol.
 * Knows nothing about stores; the app wires it in realtime/index.ts.
 */
import {
  CLOSE_AUTH,
  CLOSE_TOO_MANY,
  CLOSE_TOO_SLOW,
  parseFrame,
  PROTOCOL_VERSION,
  type ClientFrame,
  type HelloOut,
  type ServerFrame,
} from './protocol'

/** `outdated`: the server speaks a newer protocol than this page; only a reload helps. */
export type ConnectionState = 'idle' | 'connecting' | 'online' | 'offline' | 'signedout' | 'outdated'

export interface WebSocketLike {
  readyState: number
  send(data: string): void
  close(code?: number, reason?: string): void
  onopen: ((ev: Event) => void) | null
  onmessage: ((ev: MessageEvent) => void) | null
  onclose: ((ev: CloseEvent) => void) | null
  onerror: ((ev: Event) => void) | null
}

export type WebSocketFactory = (url: string) => WebSocketLike

/**
 * Thrown by an async `url` when the server says nobody is signed in (no ticket for a 401):
 * the connection stops as on close code 4003. Any other error waits out the backoff.
 */
export class SignedOutError extends Error {
  /** Why the login ended (the 401's `error.reason`: docs/protocol.md, "Signed out"), if said. */
  readonly reason: string | undefined

  constructor(message = 'signed out', reason?: string) {
    super(message)
    this.name = 'SignedOutError'
    this.reason = reason
  }
}

export interface ConnectionOptions {
  /**
   * Where to connect, asked again before every attempt. An async one (a one-time
   * ticket from the server) may throw SignedOutError.
   */
  url: string | (() => string | Promise<string>)
  createSocket?: WebSocketFactory
  /** Last seq per room the client holds; sent as `resume` after every hello. */
  getResumeSeqs: () => Record<string, number>
  onFrame: (frame: ServerFrame) => void
  /** After hello and resume: the socket may carry sends. */
  onReady?: (hello: HelloOut, generation: number) => void
  onStateChange?: (state: ConnectionState) => void
  /** Close code 4003: the session is gone; `reason` is the close frame's (or the ticket's 401's) reason code. */
  onAuthLost?: (reason?: string) => void
  /** The protocol this client speaks; a hello with a newer one stops the connection for good. */
  protocolVersion?: number
  baseDelayMs?: number
  maxDelayMs?: number
  /** Floor for the delay after close code 4029 (too many sockets). */
  tooManyDelayMs?: number
  /** How often the silence below is checked (a local timer: it sends nothing). */
  idleCheckMs?: number
  /**
   * No frame for this long → assume the socket is dead and reconnect. The server pings
   * every WS_PING_INTERVAL (25 s): this is two missed pings and then some.
   */
  idleTimeoutMs?: number
  random?: () => number
}

const OPEN = 1

export class RealtimeConnection {
  state: ConnectionState = 'idle'
  /** Increments on every hello; a send belongs to the generation it went out on. */
  generation = 0
  /** Failed attempts since the last hello. */
  attempt = 0
  /** When the next reconnect attempt is due (ms epoch), for the UI. */
  nextRetryAt: number | null = null

  private ws: WebSocketLike | null = null
  /** Bumped by every open() and stop(): an attempt whose URL arrives late is dropped. */
  private attemptId = 0
  /** Waiting for an async URL (a ticket request in flight). */
  private resolving = false
  private ready = false
  private stopped = true
  private retryTimer: ReturnType<typeof setTimeout> | null = null
  private idleTimer: ReturnType<typeof setInterval> | null = null
  private lastFrameAt = 0
  private readonly opts: Required<
    Omit<ConnectionOptions, 'onReady' | 'onStateChange' | 'onAuthLost' | 'createSocket'>
  > &
    Pick<ConnectionOptions, 'onReady' | 'onStateChange' | 'onAuthLost'> & { createSocket: WebSocketFactory }

  constructor(options: ConnectionOptions) {
    this.opts = {
      createSocket: (url) => new WebSocket(url) as unknown as WebSocketLike,
      baseDelayMs: 500,
      maxDelayMs: 30_000,
      tooManyDelayMs: 10_000,
      idleCheckMs: 5_000,
      idleTimeoutMs: 70_000,
      random: Math.random,
      protocolVersion: PROTOCOL_VERSION,
      // An option given as undefined keeps its default.
      ...(Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as ConnectionOptions),
    }
  }

  get isReady(): boolean {
    return this.ready && this.ws !== null && this.ws.readyState === OPEN
  }

  start(): void {
    if (!this.stopped) return
    this.stopped = false
    this.attempt = 0
    this.open()
  }

  /** Close for good (sign-out, tests). */
  stop(): void {
    this.stopped = true
    this.attemptId += 1
    this.resolving = false
    this.clearTimers()
    this.dropSocket()
    this.setState('idle')
  }

  /** Reconnect now, skipping the backoff wait (the "retry now" button, `online` event). */
  reconnectNow(): void {
    if (this.stopped || this.state === 'signedout' || this.state === 'outdated') return
    if (this.resolving) return
    if (this.ws && (this.state === 'online' || this.state === 'connecting')) return
    this.clearRetry()
    this.open()
  }

  /** The browser said the network is gone: do not wait for a timeout. */
  networkLost(): void {
    if (this.stopped || !this.ws) return
    this.dropSocket()
    this.ready = false
    this.setState('offline')
    this.scheduleReconnect(this.backoff())
  }

  /** Send a frame; false when the socket is not ready (caller keeps it queued). */
  send(frame: ClientFrame): boolean {
    if (!this.isReady || !this.ws) return false
    try {
      this.ws.send(JSON.stringify(frame))
      return true
    } catch {
      return false
    }
  }

  /** Delay before the next attempt: exponential, capped, with jitter (50–100 %). */
  backoff(floor = 0): number {
    const exp = Math.min(this.opts.maxDelayMs, this.opts.baseDelayMs * 2 ** this.attempt)
    const base = Math.max(exp, floor)
    return Math.round(base / 2 + this.opts.random() * (base / 2))
  }

  private open(): void {
    this.clearRetry()
    this.dropSocket()
    this.ready = false
    // While offline keep saying so until a hello proves otherwise.
    if (this.state !== 'offline') this.setState('connecting')
    const id = ++this.attemptId
    this.resolving = false
    let url: string | Promise<string>
    try {
      url = typeof this.opts.url === 'function' ? this.opts.url() : this.opts.url
    } catch (err) {
      this.urlFailed(err)
      return
    }
    if (typeof url === 'string') {
      this.connect(url)
      return
    }
    this.resolving = true
    url.then(
      (resolved) => {
        if (id !== this.attemptId || this.stopped) return
        this.resolving = false
        this.connect(resolved)
      },
      (err: unknown) => {
        if (id !== this.attemptId || this.stopped) return
        this.resolving = false
        this.urlFailed(err)
      },
    )
  }

  /** No URL (no ticket): signed out stops for good, anything else is a failed attempt. */
  private urlFailed(err: unknown): void {
    if (err instanceof SignedOutError) this.afterClose(CLOSE_AUTH, err.reason)
    else this.afterClose(1006)
  }

  private connect(url: string): void {
    let ws: WebSocketLike
    try {
      ws = this.opts.createSocket(url)
    } catch {
      this.afterClose(1006)
      return
    }
    this.ws = ws
    ws.onopen = () => {
      this.lastFrameAt = Date.now()
    }
    ws.onmessage = (ev) => {
      if (ws !== this.ws) return
      this.lastFrameAt = Date.now()
      const frame = parseFrame(ev.data)
      if (frame) this.handleFrame(frame)
    }
    ws.onclose = (ev) => {
      if (ws !== this.ws) return
      this.ws = null
      this.afterClose(ev.code, ev.reason)
    }
    ws.onerror = () => {
      // onclose follows; nothing to do here
    }
  }

  private handleFrame(frame: ServerFrame): void {
    if (frame.type === 'hello') {
      if (frame.protocol > this.opts.protocolVersion) {
        // The server was updated: reconnecting cannot help, and this page cannot read its frames.
        this.stopped = true
        this.clearTimers()
        this.dropSocket()
        this.setState('outdated')
        return
      }
      this.ready = true
      this.attempt = 0
      this.generation += 1
      this.startIdleWatch()
      this.opts.onFrame(frame)
      const seqs = this.opts.getResumeSeqs()
      if (Object.keys(seqs).length > 0) this.send({ type: 'resume', rooms: seqs })
      this.setState('online')
      this.opts.onReady?.(frame, this.generation)
      return
    }
    if (frame.type === 'ping') {
      // The one keepalive (docs/protocol.md, "Keepalive"): the server pings, we answer, so
      // it knows we are alive; its pings tell us it is (see startIdleWatch).
      this.send({ type: 'pong' })
      return
    }
    if (frame.type === 'pong') return
    this.opts.onFrame(frame)
  }

  private afterClose(code: number, reason?: string): void {
    this.ready = false
    this.stopIdleWatch()
    if (this.stopped) return
    if (code === CLOSE_AUTH) {
      this.setState('signedout')
      this.stopped = true
      this.opts.onAuthLost?.(reason || undefined)
      return
    }
    this.setState('offline')
    if (code === CLOSE_TOO_SLOW) {
      // The server dropped us for falling behind: come straight back and resume.
      this.scheduleReconnect(Math.round(this.opts.random() * this.opts.baseDelayMs))
      return
    }
    const delay = code === CLOSE_TOO_MANY ? this.backoff(this.opts.tooManyDelayMs) : this.backoff()
    this.scheduleReconnect(delay)
  }

  private scheduleReconnect(delay: number): void {
    this.clearRetry()
    this.attempt += 1
    this.nextRetryAt = Date.now() + delay
    this.emitState()
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null
      this.nextRetryAt = null
      this.open()
    }, delay)
  }

  /** The server pings every socket every 25 s: a socket silent for longer than
   * idleTimeoutMs is half-open (the browser cannot tell), so drop it and reconnect. */
  private startIdleWatch(): void {
    this.stopIdleWatch()
    this.idleTimer = setInterval(() => {
      if (Date.now() - this.lastFrameAt > this.opts.idleTimeoutMs) {
        const ws = this.ws
        this.dropSocket()
        if (ws) this.afterClose(1006)
      }
    }, this.opts.idleCheckMs)
  }

  private stopIdleWatch(): void {
    if (this.idleTimer) clearInterval(this.idleTimer)
    this.idleTimer = null
  }

  private clearRetry(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer)
    this.retryTimer = null
    this.nextRetryAt = null
  }

  private clearTimers(): void {
    this.clearRetry()
    this.stopIdleWatch()
  }

  private dropSocket(): void {
    const ws = this.ws
    this.ws = null
    this.ready = false
    this.stopIdleWatch()
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null
      try {
        ws.close(1000)
      } catch {
        // already closed
      }
    }
  }

  private setState(state: ConnectionState): void {
    if (this.state === state) return
    this.state = state
    this.emitState()
  }

  private emitState(): void {
    this.opts.onStateChange?.(this.state)
  }
}

/** ws(s)://<this host>/ws/ */
export function defaultSocketUrl(): string {
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:'
  return `${proto}//${location.host}/ws/`
}
