import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { startRealtime, stopRealtime } from '@/realtime/session'
import { useAuthStore } from '@/stores/auth'
import { useComposerStore } from '@/stores/composer'
import { useOutboxStore } from '@/stores/outbox'
import { useRoomsStore } from '@/stores/rooms'
import { useThreadsStore } from '@/stores/threads'
import { useTimelineStore } from '@/stores/timeline'
import { alice, bob, factory, FakeWebSocket, flush, makeMessage, makeRoom, messageFrame, mockFetch } from '@/test-utils/fakes'
import { serverFrame } from '@/test-utils/frames'
import type { FollowedThread, Message, ThreadSummary } from '@/api/types'
import { resultLink, threadLink, threadTarget } from '@/utils/searchLink'
import { firstUnreadReply } from '@/utils/threads'

// Threads (issue 29) on the client: a reply takes its seq in the room's log but shows in its
// thread's view only (unless also sent to the room); the root's summary, the followed list and
// its badge follow the frames; the composer keeps a draft per thread.

const ROOT = 10

function summary(over: Partial<ThreadSummary> = {}): ThreadSummary {
  return {
    reply_count: 1,
    last_reply_at: new Date(Date.UTC(2025, 0, 1, 12, 0, 5)).toISOString(),
    last_reply_seq: 5,
    participants: [bob],
    following: true,
    ...over,
  }
}

function root(over: Partial<Message> = {}): Message {
  return makeMessage(2, { id: ROOT, sender: alice, thread: null, also_to_room: false, thread_summary: summary(), ...over })
}

function reply(seq: number, over: Partial<Message> = {}): Message {
  return makeMessage(seq, { thread: ROOT, also_to_room: false, thread_summary: null, ...over })
}

function item(over: Partial<FollowedThread> = {}): FollowedThread {
  return { root: root(), room: 1, unread_count: 0, last_reply_at: root().thread_summary!.last_reply_at, last_read_seq: 3, ...over }
}

function setup(opts: { replies?: Message[]; followed?: FollowedThread[] } = {}) {
  setActivePinia(createPinia())
  const http = mockFetch()
  const replies = opts.replies ?? [reply(3, { id: 30 })]
  http.route('GET rooms/1/messages', () => ({ messages: [makeMessage(1, { id: 1 }), root()], has_more: false }))
  http.route(`GET messages/${ROOT}/thread`, () => ({ root: root(), replies, has_more: false, last_read_seq: 0, unread_count: 0 }))
  http.route('GET threads', () => ({ threads: opts.followed ?? [] }))
  http.route(`POST messages/${ROOT}/thread/read`, () => ({ last_read_seq: 9, unread_count: 0 }))
  http.route(`POST messages/${ROOT}/follow`, () => ({ following: true }))
  http.route(`DELETE messages/${ROOT}/follow`, () => ({ following: false }))
  useAuthStore().user = alice
  useRoomsStore().put(makeRoom({ id: 1, last_seq: 3 }))
  startRealtime({ createSocket: factory, url: 'ws://test/ws/' })
  FakeWebSocket.last.hello(alice)
  return {
    http,
    threads: useThreadsStore(),
    timeline: useTimelineStore(),
    outbox: useOutboxStore(),
    composer: useComposerStore(),
    rooms: useRoomsStore(),
  }
}

const ws = () => FakeWebSocket.last
const ids = (list: Message[] | undefined) => (list ?? []).map((m) => m.id)

describe('threads store', () => {
  beforeEach(() => FakeWebSocket.reset())
  afterEach(() => {
    stopRealtime()
    vi.useRealTimers()
  })

  it('keeps a thread-only reply out of the room and in its thread, once, whatever path it takes', async () => {
    const { threads, timeline } = setup()
    await timeline.loadLatest(1)
    await threads.open(ROOT, 1)
    const r = reply(4, { id: 40, sender: bob })
    ws().receive(messageFrame(r))
    ws().receive(messageFrame(r)) // a replay after a reconnect
    expect(ids(timeline.timeline(1)!.messages)).toEqual([1, ROOT])
    expect(timeline.timeline(1)!.lastSeq).toBe(4) // the log still moved: no hole at the next seq
    expect(ids(threads.view(ROOT)!.replies)).toEqual([30, 40])
  })

  it('shows an also_to_room reply in both places, and the room does not count a thread-only reply as unread', async () => {
    const { threads, timeline, rooms } = setup()
    await timeline.loadLatest(1)
    await threads.open(ROOT, 1)
    ws().receive(messageFrame(reply(4, { id: 40 })))
    expect(rooms.get(1)!.unread_count).toBe(0)
    ws().receive(messageFrame(reply(5, { id: 50, also_to_room: true })))
    expect(rooms.get(1)!.unread_count).toBe(1)
    expect(ids(timeline.timeline(1)!.messages)).toEqual([1, ROOT, 50])
    expect(ids(threads.view(ROOT)!.replies)).toEqual([30, 40, 50])
  })

  it('counts a mention of me in a thread reply in the room\'s mention count', async () => {
    const { timeline, rooms } = setup()
    await timeline.loadLatest(1)
    ws().receive(messageFrame(reply(4, { id: 40, mentions: [alice.id] })))
    expect(rooms.get(1)!.unread_count).toBe(0)
    expect(rooms.get(1)!.mention_count).toBe(1)
  })

  it("updates the root's summary from its message.updated and keeps my `following` (frames carry null)", async () => {
    const { timeline } = setup()
    await timeline.loadLatest(1)
    const updated = root({ thread_summary: summary({ reply_count: 2, participants: [bob, alice], following: null }) })
    ws().receive(serverFrame('message.updated', { room: 1, seq: 4, message: updated }))
    const s = timeline.find(1, ROOT)!.thread_summary!
    expect(s.reply_count).toBe(2)
    expect(s.participants.map((u) => u.id)).toEqual([bob.id, alice.id])
    expect(s.following).toBe(true)
  })

  it('counts a reply into the root it holds before the summary event comes, once per reply', async () => {
    const { timeline, threads } = setup({ followed: [item()] })
    await timeline.loadLatest(1)
    await threads.open(ROOT, 1)
    await threads.loadList()
    const frame = messageFrame(reply(6, { id: 60, sender: alice }))
    ws().receive(frame)
    ws().receive(frame) // replayed: counted already (its seq is the summary's last)
    for (const held of [timeline.find(1, ROOT)!, threads.view(ROOT)!.root!, threads.followed[0]!.root]) {
      const s = held.thread_summary!
      expect([s.reply_count, s.last_reply_seq, s.following]).toEqual([2, 6, true])
      expect(s.participants.map((u) => u.id)).toEqual([alice.id, bob.id])
    }
    // The coalesced summary event says the same (or more) and wins; an older one loses.
    const older = root({ thread_summary: summary({ reply_count: 1, following: null }) })
    ws().receive(serverFrame('message.updated', { room: 1, seq: 7, message: older }))
    expect(timeline.find(1, ROOT)!.thread_summary!.reply_count).toBe(2)
  })

  it('applies an edit, a reaction and a deletion of a reply to the thread once per seq', async () => {
    const { threads } = setup()
    await threads.open(ROOT, 1)
    const edited = { ...reply(3, { id: 30 }), body: 'changed', edited_at: new Date().toISOString() }
    ws().receive(serverFrame('message.updated', { room: 1, seq: 4, message: edited }))
    const react = serverFrame('reaction', { room: 1, seq: 5, message_id: 30, emoji: '👍', op: 'add', user: bob })
    ws().receive(react)
    ws().receive(react)
    const held = threads.view(ROOT)!.replies[0]!
    expect(held.body).toBe('changed')
    expect(held.reactions).toEqual([expect.objectContaining({ emoji: '👍', count: 1 })])
    ws().receive(serverFrame('message.deleted', { room: 1, seq: 6, id: 30 }))
    expect(threads.view(ROOT)!.replies[0]!.deleted).toBe(true)
  })

  it('sends a thread reply with `thread` and `also_to_room`, pending in the thread only, placed by its ack', async () => {
    const { threads, timeline, outbox } = setup()
    await timeline.loadLatest(1)
    await threads.open(ROOT, 1)
    const o = outbox.send(1, 'in the thread', null, [], { thread: ROOT })
    const sent = ws().sentOfType('send').at(-1)!
    expect(sent).toMatchObject({ room: 1, body: 'in the thread', thread: ROOT })
    expect(sent.also_to_room).toBeUndefined()
    expect(outbox.outgoingFor(1)).toEqual([])
    expect(outbox.outgoingForThread(1, ROOT).map((x) => x.client_id)).toEqual([o.client_id])
    ws().receive(serverFrame('ack', { client_id: o.client_id, id: 41, room: 1, seq: 4 }))
    expect(outbox.outgoingForThread(1, ROOT)).toEqual([])
    expect(ids(threads.view(ROOT)!.replies)).toEqual([30, 41])
    expect(ids(timeline.timeline(1)!.messages)).toEqual([1, ROOT])

    outbox.send(1, 'to both', null, [], { thread: ROOT, alsoToRoom: true })
    expect(ws().sentOfType('send').at(-1)).toMatchObject({ thread: ROOT, also_to_room: true })
    expect(outbox.outgoingFor(1).map((x) => x.body)).toEqual(['to both'])
  })

  it('routes typing in a thread to that thread only', async () => {
    const { threads, rooms } = setup()
    ws().receive(serverFrame('typing', { room: 1, user: bob, thread: ROOT }))
    expect(threads.typingUsers(ROOT).map((u) => u.id)).toEqual([bob.id])
    expect(rooms.typingUsers(1)).toEqual([])
    ws().receive(serverFrame('typing', { room: 1, user: bob, thread: null }))
    expect(rooms.typingUsers(1).map((u) => u.id)).toEqual([bob.id])
  })

  it('counts unread replies in followed threads, newest activity first, and not in the thread on screen', async () => {
    const other = item({ root: root({ id: 11, seq: 1 }), last_reply_at: '2024-01-01T00:00:00Z' })
    const { threads } = setup({ followed: [other, item()] })
    await threads.loadList()
    ws().receive(messageFrame(reply(4, { id: 40 })))
    expect(threads.followed.map((t) => t.root.id)).toEqual([ROOT, 11])
    expect(threads.unreadTotal).toBe(1)
    threads.activeThread = ROOT
    ws().receive(messageFrame(reply(5, { id: 50 })))
    expect(threads.unreadTotal).toBe(1)
    ws().receive(messageFrame(reply(6, { id: 60, sender: alice })))
    expect(threads.unreadTotal).toBe(1) // my own reply is not news to me
  })

  it('reads the list again when a reply makes me a follower, and follows thread.state', async () => {
    vi.useFakeTimers()
    const { threads, http } = setup({ followed: [] })
    await threads.loadList()
    expect(http.callsTo('GET threads')).toHaveLength(1)
    ws().receive(messageFrame(reply(4, { id: 40, mentions: [alice.id] })))
    await vi.advanceTimersByTimeAsync(1000)
    expect(http.callsTo('GET threads')).toHaveLength(2)

    http.route('GET threads', () => ({ threads: [item({ unread_count: 2 })] }))
    await threads.loadList()
    expect(threads.unreadTotal).toBe(2)
    ws().receive(serverFrame('thread.state', { room: 1, root: ROOT, following: true, last_read_seq: 9, unread_count: 0 }))
    expect(threads.unreadTotal).toBe(0)
    ws().receive(serverFrame('thread.state', { room: 1, root: ROOT, following: false, last_read_seq: 9, unread_count: 0 }))
    expect(threads.followed).toEqual([])
  })

  it('marks a thread read once per seq; follow and unfollow change every copy of the root', async () => {
    const { threads, timeline, http } = setup({ followed: [item({ unread_count: 3 })] })
    await timeline.loadLatest(1)
    await threads.loadList()
    await threads.open(ROOT, 1)
    threads.markRead(ROOT, 9)
    threads.markRead(ROOT, 9)
    await flush()
    expect(threads.unreadTotal).toBe(0)
    expect(http.callsTo(`POST messages/${ROOT}/thread/read`).map((c) => c.body)).toEqual([{ seq: 9 }])

    expect(await threads.setFollowing(ROOT, false)).toBe(false)
    expect(timeline.find(1, ROOT)!.thread_summary!.following).toBe(false)
    expect(threads.view(ROOT)!.root!.thread_summary!.following).toBe(false)
    expect(threads.followed).toEqual([])
  })

  it('reads what a reconnect may have missed in an open thread', async () => {
    const { threads, http } = setup()
    await threads.open(ROOT, 1)
    http.route(`GET messages/${ROOT}/thread`, (url) => {
      expect(url.searchParams.get('after_seq')).toBe('3')
      return { root: root(), replies: [reply(7, { id: 70 })], has_more: false, last_read_seq: 0, unread_count: 1 }
    })
    ws().serverClose(1006)
    await vi.waitFor(() => expect(FakeWebSocket.instances.length).toBe(2), { timeout: 3000 })
    ws().hello(alice)
    await vi.waitFor(() => expect(ids(threads.view(ROOT)!.replies)).toEqual([30, 70]))
  })

  /** A server thread of `n` replies (seqs 3…), paged as the server does: `before_seq` backwards, `after_seq` forwards. */
  function longThread(http: ReturnType<typeof setup>['http'], n: number, page = 10) {
    const all = Array.from({ length: n }, (_, i) => reply(3 + i, { id: 100 + i }))
    http.route(`GET messages/${ROOT}/thread`, (url) => {
      // A server that answers `page` at a time whatever was asked: the client follows `has_more`.
      const before = url.searchParams.get('before_seq')
      if (before !== null) {
        const older = all.filter((m) => m.seq < Number(before))
        return { root: root(), replies: older.slice(-page), has_more: older.length > page, last_read_seq: 4, unread_count: 20 }
      }
      const rest = all.filter((m) => m.seq > Number(url.searchParams.get('after_seq') ?? 0))
      return { root: root(), replies: rest.slice(0, page), has_more: rest.length > page, last_read_seq: 4, unread_count: 20 }
    })
    return all
  }
  const asked = (http: ReturnType<typeof setup>['http']) =>
    http.callsTo(`GET messages/${ROOT}/thread`).map((c) => Object.fromEntries(c.url.searchParams))

  it('opens a long thread at its newest page with one request', async () => {
    const { threads, http } = setup()
    const all = longThread(http, 25)
    await threads.open(ROOT, 1)
    const v = threads.view(ROOT)!
    expect(v.replies.map((m) => m.seq)).toEqual(all.slice(-10).map((m) => m.seq))
    expect(v.hasOlder).toBe(true)
    expect(v.readAtOpen).toBe(4)
    expect(v.unreadAtOpen).toBe(20)
    expect(asked(http)).toEqual([{ before_seq: '9007199254740991', limit: '100' }])
  })

  it('loads older replies before the oldest held, each once, until the first reply', async () => {
    const { threads, http } = setup()
    const all = longThread(http, 25)
    await threads.open(ROOT, 1)
    await threads.loadOlder(ROOT)
    expect(threads.view(ROOT)!.replies.map((m) => m.seq)).toEqual(all.slice(-20).map((m) => m.seq))
    await threads.loadOlder(ROOT)
    const v = threads.view(ROOT)!
    expect(v.replies.map((m) => m.id)).toEqual(all.map((m) => m.id))
    expect(v.hasOlder).toBe(false)
    await threads.loadOlder(ROOT) // nothing older: no request
    expect(asked(http).map((q) => q.before_seq)).toEqual(['9007199254740991', '18', '8'])
  })

  it('pages back to a deep-linked reply, and no further', async () => {
    const { threads, http } = setup()
    const all = longThread(http, 45)
    await threads.open(ROOT, 1)
    expect(await threads.loadBackTo(ROOT, 20)).toBe(true)
    const v = threads.view(ROOT)!
    expect(v.replies.some((m) => m.seq === 20)).toBe(true)
    expect(v.replies[0]!.seq).toBe(18)
    expect(v.hasOlder).toBe(true)
    expect(asked(http).map((q) => q.before_seq)).toEqual(['9007199254740991', '38', '28'])
    // Already held: no request. Older than the first reply: read back to the start, then stop.
    expect(await threads.loadBackTo(ROOT, 25)).toBe(true)
    expect(asked(http)).toHaveLength(3)
    expect(await threads.loadBackTo(ROOT, 1)).toBe(true)
    expect(v.replies.map((m) => m.seq)).toEqual(all.map((m) => m.seq))
    expect(asked(http)).toHaveLength(5)
  })

  it('stops paging back after the pages it was allowed', async () => {
    const { threads, http } = setup()
    longThread(http, 45)
    await threads.open(ROOT, 1)
    expect(await threads.loadBackTo(ROOT, 3, 2)).toBe(false)
    expect(threads.view(ROOT)!.replies[0]!.seq).toBe(18)
    expect(asked(http)).toHaveLength(3)
  })

  it('after a reconnect reads forward from the newest reply held', async () => {
    const { threads, http } = setup()
    const all = longThread(http, 25)
    await threads.open(ROOT, 1)
    http.calls.length = 0
    await threads.catchUp()
    expect(asked(http)).toEqual([{ after_seq: String(all[all.length - 1]!.seq), limit: '100' }])
  })

  it("follows a renamed person in a thread's replies and on its root's summary", async () => {
    const { threads, timeline } = setup()
    await timeline.loadLatest(1)
    await threads.open(ROOT, 1)
    const renamed = { ...bob, display_name: 'Robert' }
    ws().receive(serverFrame('user.updated', { user: renamed }))
    expect(threads.view(ROOT)!.replies[0]!.sender.display_name).toBe('Robert')
    expect(timeline.find(1, ROOT)!.thread_summary!.participants[0]!.display_name).toBe('Robert')
  })

  it('an open thread learns from the followed list that replying made me a follower', async () => {
    const { threads, http } = setup({ followed: [] })
    http.route(`GET messages/${ROOT}/thread`, () => ({
      root: root({ thread_summary: summary({ following: false }) }),
      replies: [reply(3, { id: 30 })],
      has_more: false,
      last_read_seq: 0,
      unread_count: 0,
    }))
    await threads.loadList()
    await threads.open(ROOT, 1)
    expect(threads.view(ROOT)!.root!.thread_summary!.following).toBe(false)
    http.route('GET threads', () => ({ threads: [item()] }))
    await threads.loadList()
    expect(threads.view(ROOT)!.root!.thread_summary!.following).toBe(true)
  })

  it('forgets every thread on sign-out', async () => {
    const { threads, composer } = setup({ followed: [item({ unread_count: 1 })] })
    await threads.loadList()
    await threads.open(ROOT, 1)
    composer.setThreadDraft(ROOT, 'half written')
    stopRealtime()
    expect(threads.view(ROOT)).toBeUndefined()
    expect(threads.unreadTotal).toBe(0)
    expect(composer.threadDraft(ROOT)).toBe('')
  })
})

describe('composer store: thread drafts', () => {
  it('keeps a draft and the "also send to room" box per thread until its send', () => {
    setActivePinia(createPinia())
    const composer = useComposerStore()
    composer.setThreadDraft(1, 'first thread')
    composer.setThreadDraft(2, 'second thread')
    composer.setAlsoToRoom(2, true)
    expect(composer.threadDraft(1)).toBe('first thread')
    expect(composer.threadDraft(2)).toBe('second thread')
    composer.threadSent(2)
    expect(composer.threadDraft(2)).toBe('')
    expect(composer.alsoToRoom[2]).toBeUndefined()
    expect(composer.threadDraft(1)).toBe('first thread')
    composer.setThreadDraft(1, '')
    expect(Object.keys(composer.threadDrafts)).toEqual([])
  })
})

describe('thread links', () => {
  it('opens a reply in its thread at its seq, and reads such a link back', () => {
    expect(resultLink({ id: 40, room: 1, seq: 4, thread: ROOT })).toEqual(threadLink(1, ROOT, 4))
    expect(resultLink({ id: 40, room: 1, seq: 4, thread: null })).toEqual({
      name: 'room',
      params: { id: 1 },
      query: { msg: '40', seq: '4' },
    })
    expect(threadTarget({ thread: '10', at: '4' })).toEqual({ root: 10, at: 4 })
    expect(threadTarget({ thread: '10' })).toEqual({ root: 10, at: null })
    expect(threadTarget({ thread: 'x' })).toBeNull()
  })

  it('puts the "New replies" line above the first unread reply someone else wrote', () => {
    const list = [reply(3, { sender: bob }), reply(4, { sender: alice }), reply(5, { sender: bob })]
    expect(firstUnreadReply(list, null, alice.id)).toBeNull()
    expect(firstUnreadReply(list, 3, alice.id)).toBe(5)
    expect(firstUnreadReply(list, 5, alice.id)).toBeNull()
  })
})
