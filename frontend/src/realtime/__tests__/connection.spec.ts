import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { RealtimeConnection, SignedOutError, type ConnectionOptions } from '@/realtime/connection'
import { PROTOCOL_VERSION, type ServerFrame } from '@/realtime/protocol'
import { alice, factory, FakeWebSocket, flush } from '@/test-utils/fakes'
import { serverFrame } from '@/test-utils/frames'

function make(over: Partial<ConnectionOptions> = {}) {
  const frames: unknown[] = []
  const ready = vi.fn()
  const authLost = vi.fn()
  const states: string[] = []
  const conn = new RealtimeConnection({
    url: 'ws://test/ws/',
    createSocket: factory,
    getResumeSeqs: () => ({}),
    onFrame: (f) => frames.push(f),
    onReady: ready,
    onAuthLost: authLost,
    onStateChange: (s) => states.push(s),
    baseDelayMs: 1000,
    maxDelayMs: 30_000,
    tooManyDelayMs: 20_000,
    random: () => 0.5,
    ...over,
  })
  return { conn, frames, ready, authLost, states }
}

describe('RealtimeConnection', () => {
  beforeEach(() => {
    FakeWebSocket.reset()
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('goes online on hello and sends resume with the last seq of every room', () => {
    const { conn, ready, states } = make({ getResumeSeqs: () => ({ '1': 12, '7': 3 }) })
    conn.start()
    expect(FakeWebSocket.instances).toHaveLength(1)
    expect(FakeWebSocket.last.url).toBe('ws://test/ws/')
    expect(conn.isReady).toBe(false)
    FakeWebSocket.last.hello(alice)
    expect(conn.state).toBe('online')
    expect(conn.isReady).toBe(true)
    expect(FakeWebSocket.last.sent).toEqual([{ type: 'resume', rooms: { '1': 12, '7': 3 } }])
    expect(ready).toHaveBeenCalledTimes(1)
    expect(ready.mock.calls[0]![1]).toBe(1)
    expect(states).toContain('online')
  })

  it('sends no resume when it holds no room', () => {
    const { conn } = make()
    conn.start()
    FakeWebSocket.last.hello(alice)
    expect(FakeWebSocket.last.sentOfType('resume')).toHaveLength(0)
  })

  it('refuses to send before hello (the caller keeps the frame queued)', () => {
    const { conn } = make()
    conn.start()
    FakeWebSocket.last.open()
    expect(conn.send({ type: 'ping' })).toBe(false)
    FakeWebSocket.last.hello(alice)
    expect(conn.send({ type: 'ping' })).toBe(true)
  })

  it('reconnects with exponential backoff and jitter, then resumes with the current seqs', () => {
    let seqs: Record<string, number> = { '1': 5 }
    const { conn } = make({ getResumeSeqs: () => seqs })
    conn.start()
    FakeWebSocket.last.hello(alice)
    seqs = { '1': 9 }

    // random() = 0.5 → delay = base * 2^attempt * 0.75
    const expected = [750, 1500, 3000, 6000, 12000, 22500, 22500]
    for (const [i, delay] of expected.entries()) {
      FakeWebSocket.last.serverClose(1006)
      expect(conn.state).toBe('offline')
      const before = FakeWebSocket.instances.length
      vi.advanceTimersByTime(delay - 1)
      expect(FakeWebSocket.instances.length, `attempt ${i}`).toBe(before)
      vi.advanceTimersByTime(1)
      expect(FakeWebSocket.instances.length, `attempt ${i}`).toBe(before + 1)
    }
    FakeWebSocket.last.hello(alice)
    expect(conn.state).toBe('online')
    expect(conn.attempt).toBe(0)
    expect(conn.generation).toBe(2)
    expect(FakeWebSocket.last.sent[0]).toEqual({ type: 'resume', rooms: { '1': 9 } })
  })

  it('jitter spreads the delay between half and all of the exponential step', () => {
    const low = make({ random: () => 0 }).conn
    const high = make({ random: () => 0.999999 }).conn
    low.attempt = 3
    high.attempt = 3
    expect(low.backoff()).toBe(4000)
    expect(high.backoff()).toBe(8000)
  })

  it('close 4003 sends the user to sign-in and never reconnects', () => {
    const { conn, authLost } = make()
    conn.start()
    FakeWebSocket.last.hello(alice)
    FakeWebSocket.last.serverClose(4003)
    expect(conn.state).toBe('signedout')
    expect(authLost).toHaveBeenCalledTimes(1)
    vi.advanceTimersByTime(120_000)
    expect(FakeWebSocket.instances).toHaveLength(1)
  })

  it('a hello of a newer protocol stops the connection for good; the same version goes online', () => {
    const { conn, frames, ready, states } = make({ protocolVersion: 3, getResumeSeqs: () => ({ '1': 4 }) })
    conn.start()
    FakeWebSocket.last.open()
    FakeWebSocket.last.receive({ ...serverFrame('hello'), protocol: 4 } as unknown as ServerFrame)
    expect(conn.state).toBe('outdated')
    expect(states.at(-1)).toBe('outdated')
    expect(frames).toEqual([])
    expect(ready).not.toHaveBeenCalled()
    expect(FakeWebSocket.last.sent).toEqual([])
    expect(FakeWebSocket.last.closedByClient).toBe(true)
    conn.reconnectNow()
    vi.advanceTimersByTime(120_000)
    expect(FakeWebSocket.instances).toHaveLength(1)

    const same = make({ protocolVersion: 3 }).conn
    same.start()
    FakeWebSocket.last.open()
    FakeWebSocket.last.receive({ ...serverFrame('hello'), protocol: 3 } as unknown as ServerFrame)
    expect(same.state).toBe('online')
  })

  it('speaks the protocol version of the generated types by default', () => {
    const { conn } = make()
    conn.start()
    FakeWebSocket.last.hello(alice)
    expect(serverFrame('hello').protocol).toBe(PROTOCOL_VERSION)
    expect(conn.state).toBe('online')
  })

  it('close 4008 (too slow) reconnects at once and resumes', () => {
    const { conn } = make({ getResumeSeqs: () => ({ '3': 40 }) })
    conn.start()
    FakeWebSocket.last.hello(alice)
    FakeWebSocket.last.serverClose(4008)
    vi.advanceTimersByTime(500)
    expect(FakeWebSocket.instances).toHaveLength(2)
    FakeWebSocket.last.hello(alice)
    expect(FakeWebSocket.last.sent[0]).toEqual({ type: 'resume', rooms: { '3': 40 } })
  })

  it('close 4029 (too many sockets) waits at least the long back-off', () => {
    const { conn } = make()
    conn.start()
    FakeWebSocket.last.hello(alice)
    FakeWebSocket.last.serverClose(4029)
    vi.advanceTimersByTime(14_999)
    expect(FakeWebSocket.instances).toHaveLength(1)
    vi.advanceTimersByTime(1)
    expect(FakeWebSocket.instances).toHaveLength(2)
  })

  it('reconnectNow skips the wait; networkLost drops the socket at once', () => {
    const { conn } = make()
    conn.start()
    FakeWebSocket.last.hello(alice)
    const first = FakeWebSocket.last
    conn.networkLost()
    expect(first.closedByClient).toBe(true)
    expect(conn.state).toBe('offline')
    expect(conn.isReady).toBe(false)
    conn.reconnectNow()
    expect(FakeWebSocket.instances).toHaveLength(2)
    FakeWebSocket.last.hello(alice)
    expect(conn.state).toBe('online')
  })

  it('sends no pings of its own and treats a socket silent past the timeout as dead', () => {
    const { conn } = make({ idleCheckMs: 1000, idleTimeoutMs: 2500 })
    conn.start()
    FakeWebSocket.last.hello(alice)
    vi.advanceTimersByTime(2000)
    FakeWebSocket.last.receive(serverFrame('ping')) // the server's keepalive: still alive
    vi.advanceTimersByTime(2000)
    expect(conn.state).toBe('online')
    expect(FakeWebSocket.last.sentOfType('ping')).toHaveLength(0)
    vi.advanceTimersByTime(1000) // 3 s without a frame
    expect(conn.state).toBe('offline')
    expect(FakeWebSocket.instances[0]!.closedByClient).toBe(true)
  })

  it('answers server pings with pong, keeps them from the stores and hands other frames on', () => {
    const { conn, frames } = make()
    conn.start()
    FakeWebSocket.last.hello(alice)
    FakeWebSocket.last.receive(serverFrame('ping'))
    expect(FakeWebSocket.last.sentOfType('pong')).toHaveLength(1)
    FakeWebSocket.last.receive(serverFrame('unread'))
    FakeWebSocket.last.onmessage?.({ data: 'not json' } as MessageEvent)
    expect(frames.map((f) => (f as { type: string }).type)).toEqual(['hello', 'unread'])
  })

  it('stop closes the socket and cancels any reconnect', () => {
    const { conn } = make()
    conn.start()
    FakeWebSocket.last.serverClose(1006)
    conn.stop()
    vi.advanceTimersByTime(60_000)
    expect(FakeWebSocket.instances).toHaveLength(1)
    expect(conn.state).toBe('idle')
  })
})

describe('RealtimeConnection with a URL asked for before each attempt (WebSocket tickets)', () => {
  beforeEach(() => {
    FakeWebSocket.reset()
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  /** A `url` that answers each call with the next of `answers` (a ticket or an error). */
  function tickets(...answers: Array<string | Error>) {
    const url = vi.fn(async () => {
      const next = answers.shift()
      if (next === undefined) throw new Error('no more answers')
      if (next instanceof Error) throw next
      return `ws://test/ws/?ticket=${next}`
    })
    return url
  }

  it('opens the socket only once the ticket arrives, and asks for a fresh one on every reconnect', async () => {
    const url = tickets('t1', 't2')
    const { conn } = make({ url })
    conn.start()
    expect(url).toHaveBeenCalledTimes(1)
    expect(conn.state).toBe('connecting')
    expect(FakeWebSocket.instances).toHaveLength(0)
    await flush()
    expect(FakeWebSocket.last.url).toBe('ws://test/ws/?ticket=t1')
    FakeWebSocket.last.hello(alice)
    expect(conn.state).toBe('online')

    FakeWebSocket.last.serverClose(1006)
    await vi.advanceTimersByTimeAsync(750)
    await flush()
    expect(url).toHaveBeenCalledTimes(2)
    expect(FakeWebSocket.instances).toHaveLength(2)
    expect(FakeWebSocket.last.url).toBe('ws://test/ws/?ticket=t2')
  })

  it('no ticket because signed out (401): stops like close 4003, never retries', async () => {
    const url = tickets(new SignedOutError())
    const { conn, authLost, states } = make({ url })
    conn.start()
    await flush()
    expect(conn.state).toBe('signedout')
    expect(states.at(-1)).toBe('signedout')
    expect(authLost).toHaveBeenCalledTimes(1)
    await vi.advanceTimersByTimeAsync(120_000)
    expect(url).toHaveBeenCalledTimes(1)
    expect(FakeWebSocket.instances).toHaveLength(0)
  })

  it('no ticket because the network failed: waits out the backoff, then asks again', async () => {
    const url = tickets(new Error('network'), new Error('network'), 't3')
    const { conn, authLost } = make({ url })
    conn.start()
    await flush()
    expect(conn.state).toBe('offline')
    expect(conn.attempt).toBe(1)
    await vi.advanceTimersByTimeAsync(749)
    expect(url).toHaveBeenCalledTimes(1)
    await vi.advanceTimersByTimeAsync(1)
    expect(url).toHaveBeenCalledTimes(2)
    await flush()
    expect(conn.attempt).toBe(2)
    await vi.advanceTimersByTimeAsync(1500)
    await flush()
    expect(url).toHaveBeenCalledTimes(3)
    expect(FakeWebSocket.last.url).toBe('ws://test/ws/?ticket=t3')
    FakeWebSocket.last.hello(alice)
    expect(conn.state).toBe('online')
    expect(conn.attempt).toBe(0)
    expect(authLost).not.toHaveBeenCalled()
  })

  it('a ticket that arrives after stop opens nothing', async () => {
    let resolve!: (u: string) => void
    const { conn } = make({ url: () => new Promise<string>((r) => (resolve = r)) })
    conn.start()
    conn.stop()
    resolve('ws://test/ws/?ticket=late')
    await flush()
    expect(FakeWebSocket.instances).toHaveLength(0)
    expect(conn.state).toBe('idle')
  })

  it('reconnectNow while a ticket is in flight does not ask twice', async () => {
    const url = tickets('only')
    const { conn } = make({ url })
    conn.start()
    conn.reconnectNow()
    conn.reconnectNow()
    await flush()
    expect(url).toHaveBeenCalledTimes(1)
    expect(FakeWebSocket.instances).toHaveLength(1)
  })
})

describe('RealtimeConnection defaults', () => {
  it('an option passed as undefined keeps its default socket factory', () => {
    const created: string[] = []
    class Stub {
      readyState = 0
      onopen = null
      onmessage = null
      onclose = null
      onerror = null
      constructor(url: string) {
        created.push(url)
      }
      send() {}
      close() {}
    }
    vi.stubGlobal('WebSocket', Stub)
    const conn = new RealtimeConnection({ url: 'ws://x/ws/', createSocket: undefined, getResumeSeqs: () => ({}), onFrame: () => {} })
    conn.start()
    expect(created).toEqual(['ws://x/ws/'])
    conn.stop()
    vi.unstubAllGlobals()
  })
})
