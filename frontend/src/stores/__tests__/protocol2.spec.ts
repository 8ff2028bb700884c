import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { startRealtime, stopRealtime } from '@/realtime/session'
import { useAuthStore } from '@/stores/auth'
import { useComposerStore } from '@/stores/composer'
import { useOutboxStore } from '@/stores/outbox'
import { useRoomsStore } from '@/stores/rooms'
import { useTimelineStore } from '@/stores/timeline'
import { alice, bob, factory, FakeWebSocket, flush, makeMessage, makeRoom, messageFrame, mockFetch } from '@/test-utils/fakes'
import { serverFrame } from '@/test-utils/frames'
import type { Message } from '@/api/types'

// Protocol 2 in the stores: edits, deletions, reactions, replies and mentions,
// driven by the frames the server really sends (the captured fixture).
// In the capture, message 3 (bob's, seq 3) is edited at seq 7, alice (the
// viewer) reacts to it at seq 6, message 5 answers it and mentions alice, and
// message 6 is deleted at seq 9.

const captured = serverFrame('message').message
const A = { id: alice.id, display_name: alice.display_name }
const B = { id: bob.id, display_name: bob.display_name }

function setup(history: Message[], lastSeq = history.at(-1)?.seq ?? 0) {
  setActivePinia(createPinia())
  const http = mockFetch()
  http.route('GET rooms/1/messages', () => ({ messages: history, has_more: false }))
  const auth = useAuthStore()
  auth.user = alice
  const rooms = useRoomsStore()
  rooms.put(makeRoom({ last_seq: lastSeq }))
  startRealtime({ createSocket: factory, url: 'ws://test/ws/' })
  return { http, rooms, timeline: useTimelineStore(), outbox: useOutboxStore(), composer: useComposerStore() }
}

const msg = (m: ReturnType<typeof useTimelineStore>, id: number) => m.find(1, id)!

describe('protocol 2 frames in the stores', () => {
  beforeEach(() => FakeWebSocket.reset())
  afterEach(() => {
    stopRealtime()
    vi.useRealTimers()
  })

  it('applies message.updated: new text, edited_at and mentions; the reactions held stay', async () => {
    const original = { ...captured, reactions: [{ emoji: '🎉', count: 2, me: false, users: [B] }] }
    const { timeline } = setup([original], 6)
    await timeline.loadLatest(1)
    FakeWebSocket.last.hello(alice)
    const frame = serverFrame('message.updated')
    FakeWebSocket.last.receive(frame)
    const m = msg(timeline, 3)
    expect(m.body).toBe(frame.message.body)
    expect(m.edited_at).toBe(frame.message.edited_at)
    expect(m.reactions).toEqual([{ emoji: '🎉', count: 2, me: false, users: [B] }])
    expect(timeline.timeline(1)!.lastSeq).toBe(7)
    // No hole: the edit's seq counts in the log like a message's.
    expect(timeline.timeline(1)!.holes).toEqual([])
  })

  it('applies message.updated carrying link previews (filled after the send), and their removal', async () => {
    const { timeline } = setup([captured], 6)
    await timeline.loadLatest(1)
    FakeWebSocket.last.hello(alice)
    const frame = serverFrame('message.updated')
    const card = { url: 'https://example.com', title: 'Example', description: '', image_url: null, site_name: 'example.com' }
    FakeWebSocket.last.receive({ ...frame, message: { ...frame.message, previews: [card] } })
    expect(msg(timeline, 3).previews).toEqual([card])
    FakeWebSocket.last.receive({ ...frame, seq: 8, message: { ...frame.message, previews: [] } })
    expect(msg(timeline, 3).previews).toEqual([])
  })

  it('applies message.deleted: a tombstone in place, quotes of it blanked, a reply draft to it dropped', async () => {
    const target = makeMessage(8, { id: 6, body: 'secret plans', reactions: [{ emoji: '👍', count: 1, me: true, users: [A] }] })
    const answer = makeMessage(9, {
      id: 7,
      reply_to: { id: 6, seq: 8, sender: bob, excerpt: 'secret plans', deleted: false },
    })
    const { timeline, composer } = setup([target, answer], 9)
    await timeline.loadLatest(1)
    FakeWebSocket.last.hello(alice)
    composer.replyTo[1] = msg(timeline, 6)
    FakeWebSocket.last.receive(serverFrame('message.deleted', { seq: 10 }))
    const m = msg(timeline, 6)
    expect(m).toMatchObject({ deleted: true, body: '', reactions: [], mentions: [] })
    expect(msg(timeline, 7).reply_to).toMatchObject({ id: 6, excerpt: '', deleted: true })
    expect(composer.replyTo[1]).toBeNull()
    expect(timeline.timeline(1)!.messages.map((x) => x.id)).toEqual([6, 7])
  })

  it('a replayed message frame of a deleted message is a tombstone too', async () => {
    const { timeline } = setup([makeMessage(7)], 7)
    await timeline.loadLatest(1)
    FakeWebSocket.last.hello(alice)
    FakeWebSocket.last.receive(serverFrame('message:deleted'))
    expect(msg(timeline, 6)).toMatchObject({ deleted: true, body: '' })
  })

  it('counts reactions from frames; `me` only for my own; a frame below the held seq is not counted twice', async () => {
    const { timeline } = setup([{ ...captured }], 5)
    await timeline.loadLatest(1)
    FakeWebSocket.last.hello(alice)
    // bob adds 👍 (seq 6), then alice (me) does (seq 7).
    FakeWebSocket.last.receive(serverFrame('reaction', { seq: 6, user: bob }))
    expect(msg(timeline, 3).reactions).toEqual([{ emoji: '👍', count: 1, me: false, users: [B] }])
    FakeWebSocket.last.receive(serverFrame('reaction', { seq: 7 }))
    expect(msg(timeline, 3).reactions).toEqual([{ emoji: '👍', count: 2, me: true, users: [B, A] }])
    // The same event again (a replay after a reconnect): already held.
    FakeWebSocket.last.receive(serverFrame('reaction', { seq: 7 }))
    expect(msg(timeline, 3).reactions).toEqual([{ emoji: '👍', count: 2, me: true, users: [B, A] }])
    // bob takes his back; the chip stays for mine, and names only me.
    FakeWebSocket.last.receive(serverFrame('reaction', { seq: 8, user: bob, op: 'remove' }))
    expect(msg(timeline, 3).reactions).toEqual([{ emoji: '👍', count: 1, me: true, users: [A] }])
    FakeWebSocket.last.receive(serverFrame('reaction', { seq: 9, op: 'remove' }))
    expect(msg(timeline, 3).reactions).toEqual([])
    expect(timeline.timeline(1)!.holes).toEqual([])
  })

  it('frames that arrive while the first page loads are applied once: those the page already holds are skipped', async () => {
    const { timeline, http } = setup([], 6)
    let answer: (v: unknown) => void = () => undefined
    http.route('GET rooms/1/messages', () => new Promise((r) => (answer = r)))
    const loading = timeline.loadLatest(1)
    FakeWebSocket.last.hello(alice)
    // Seq 6 happened before the page was read (the room's head was 6): the page counts it.
    FakeWebSocket.last.receive(serverFrame('reaction', { seq: 6, user: bob }))
    // Seq 7 came after.
    FakeWebSocket.last.receive(serverFrame('reaction', { seq: 7, user: bob, emoji: '🎉' }))
    answer({ messages: [{ ...captured, reactions: [{ emoji: '👍', count: 1, me: false, users: [B] }] }], has_more: false })
    await loading
    expect(msg(timeline, 3).reactions).toEqual([
      { emoji: '👍', count: 1, me: false, users: [B] },
      { emoji: '🎉', count: 1, me: false, users: [B] },
    ])
    expect(timeline.timeline(1)!.lastSeq).toBe(7)
  })

  it('fills a hole with every kind of event, and only those inside it', async () => {
    const { timeline, http } = setup([{ ...captured }], 3)
    http.route('GET rooms/1/events', () => ({
      events: [
        serverFrame('reaction', { seq: 4, user: bob }),
        serverFrame('message.updated', { seq: 5 }),
        serverFrame('reaction', { seq: 6, user: bob, emoji: '👀' }),
      ],
      has_more: false,
      last_seq: 6,
    }))
    await timeline.loadLatest(1)
    FakeWebSocket.last.hello(alice)
    // Seq 6 arrives live first: 4 and 5 are a hole; the fill brings 6 again and must skip it.
    FakeWebSocket.last.receive(serverFrame('reaction', { seq: 6, user: bob, emoji: '👀' }))
    await vi.waitFor(() => expect(timeline.timeline(1)!.holes).toEqual([]))
    const m = msg(timeline, 3)
    expect(m.reactions).toEqual([
      { emoji: '👀', count: 1, me: false, users: [B] },
      { emoji: '👍', count: 1, me: false, users: [B] },
    ])
    expect(m.edited_at).not.toBeNull()
  })

  it('my reaction shows at once and goes over the socket; done settles it and my own frame changes nothing', async () => {
    const { timeline } = setup([{ ...captured }], 3)
    await timeline.loadLatest(1)
    FakeWebSocket.last.hello(alice)
    const p = timeline.toggleReaction(1, 3, '👍')
    expect(msg(timeline, 3).reactions).toEqual([{ emoji: '👍', count: 1, me: true, users: [A] }])
    const [sent] = FakeWebSocket.last.sentOfType('react')
    expect(sent).toMatchObject({ type: 'react', message: 3, emoji: '👍', op: 'add' })
    FakeWebSocket.last.receive(serverFrame('done', { client_id: String(sent!.client_id), message_id: 3 }))
    await p
    FakeWebSocket.last.receive(serverFrame('reaction', { seq: 4, user: alice }))
    expect(msg(timeline, 3).reactions).toEqual([{ emoji: '👍', count: 1, me: true, users: [A] }])
    FakeWebSocket.last.receive(serverFrame('reaction', { seq: 5, user: bob }))
    expect(msg(timeline, 3).reactions).toEqual([{ emoji: '👍', count: 2, me: true, users: [A, B] }])
  })

  it('a change refused over the socket rejects with the server\'s words; one the socket dropped goes over REST', async () => {
    const { timeline, composer, http } = setup([makeMessage(1, { id: 10, sender: alice, body: 'helo' })], 1)
    await timeline.loadLatest(1)
    FakeWebSocket.last.hello(alice)
    const refused = timeline.toggleReaction(1, 10, '👍')
    const [react] = FakeWebSocket.last.sentOfType('react')
    FakeWebSocket.last.receive({
      type: 'error',
      code: 'muted',
      message: 'You are muted in this room.',
      ref: String(react!.client_id),
    })
    await expect(refused).rejects.toMatchObject({ code: 'muted', status: 403 })
    expect(msg(timeline, 10).reactions).toEqual([])

    let patched = ''
    http.route('PATCH messages/10', (_url, init) => {
      patched = (JSON.parse(String(init.body)) as { body: string }).body
      return { ...makeMessage(1, { id: 10, sender: alice }), body: patched, edited_at: '2026-12-05T00:00:00Z' }
    })
    composer.editing[1] = 10
    const edit = timeline.edit(1, 10, 'hello')
    expect(FakeWebSocket.last.sentOfType('edit')).toMatchObject([{ message: 10, body: 'hello' }])
    FakeWebSocket.last.serverClose(1006) // no answer came: the same edit goes over REST
    await edit
    expect(patched).toBe('hello')
    expect(msg(timeline, 10)).toMatchObject({ body: 'hello', edited_at: '2026-12-05T00:00:00Z' })
    expect(composer.editing[1]).toBeNull()
  })

  it('a refused reaction is taken back and the error reaches the caller', async () => {
    const { timeline, http } = setup([{ ...captured }], 3)
    http.route(
      'POST messages/3/reactions/%F0%9F%91%8D',
      () =>
        new Response(JSON.stringify({ error: { code: 'message_deleted', message: 'The message was deleted.' } }), {
          status: 409,
        }),
    )
    await timeline.loadLatest(1)
    await expect(timeline.toggleReaction(1, 3, '👍')).rejects.toThrow('The message was deleted.')
    expect(msg(timeline, 3).reactions).toEqual([])
  })

  it('edits through REST and shows the refusal (the edit window closed) to the caller', async () => {
    const { timeline, composer, http } = setup([makeMessage(1, { id: 10, sender: alice, body: 'helo' })], 1)
    let refuse = false
    http.route('PATCH messages/10', (_url, init) => {
      if (refuse) {
        return new Response(
          JSON.stringify({ error: { code: 'edit_window_closed', message: 'Messages can be edited for 60 seconds after they are sent.' } }),
          { status: 403 },
        )
      }
      const { body } = JSON.parse(String(init.body)) as { body: string }
      return { ...makeMessage(1, { id: 10, sender: alice }), body, edited_at: '2026-11-30T00:00:00Z' }
    })
    await timeline.loadLatest(1)
    composer.editing[1] = 10
    await timeline.edit(1, 10, 'hello')
    expect(msg(timeline, 10)).toMatchObject({ body: 'hello', edited_at: '2026-11-30T00:00:00Z' })
    expect(composer.editing[1]).toBeNull()
    refuse = true
    await expect(timeline.edit(1, 10, 'hello!')).rejects.toMatchObject({ code: 'edit_window_closed' })
    expect(msg(timeline, 10).body).toBe('hello')
    expect(timeline.lastOwn(1)!.id).toBe(10)
  })

  it('sends reply_to with a reply and quotes the original while it is pending and after the ack', async () => {
    const { timeline, outbox } = setup([{ ...captured }], 3)
    await timeline.loadLatest(1)
    FakeWebSocket.last.hello(alice)
    const out = outbox.send(1, 'yes!', msg(timeline, 3))
    expect(FakeWebSocket.last.sentOfType('send')[0]).toMatchObject({ reply_to: 3, body: 'yes!' })
    expect(out.reply_to).toMatchObject({ id: 3, seq: 3, excerpt: captured.body })
    FakeWebSocket.last.receive(serverFrame('ack', { client_id: out.client_id, room: 1, id: 40, seq: 4 }))
    expect(msg(timeline, 40).reply_to).toMatchObject({ id: 3 })
  })

  it('jumps to an older message: loads the page around it and leaves a break to load newer ones', async () => {
    const latest = [20, 21, 22].map((s) => makeMessage(s, { id: s }))
    const { timeline, http } = setup(latest, 22)
    http.route('GET rooms/1/messages', (url) => {
      if (url.searchParams.get('around_seq') === '5') {
        return { messages: [4, 5, 6].map((s) => makeMessage(s, { id: s })), has_more: true, has_more_before: true, has_more_after: true }
      }
      if (url.searchParams.get('after_seq') === '6') {
        return { messages: [7, 8].map((s) => makeMessage(s, { id: s })), has_more: true }
      }
      if (url.searchParams.get('after_seq') === '8') {
        return { messages: [19, 20].map((s) => makeMessage(s, { id: s })), has_more: true }
      }
      return { messages: latest, has_more: true }
    })
    await timeline.loadLatest(1)
    expect(await timeline.reveal(1, 5, 5)).toBe(true)
    const t = timeline.timeline(1)!
    expect(t.messages.map((m) => m.seq)).toEqual([4, 5, 6, 20, 21, 22])
    expect(t.breaks).toEqual([{ after: 6, before: 20 }])
    expect(t.hasMore).toBe(true)
    expect(timeline.flash?.id).toBe(5)
    await timeline.loadBreak(1, 6)
    expect(t.breaks).toEqual([{ after: 8, before: 20 }])
    await timeline.loadBreak(1, 8)
    expect(t.breaks).toEqual([])
    expect(t.messages.map((m) => m.seq)).toEqual([4, 5, 6, 7, 8, 19, 20, 21, 22])
  })

  it('mention_count: from hello and unread frames, bumped by a message that names me elsewhere, cleared on read', async () => {
    const { rooms } = setup([], 4)
    FakeWebSocket.last.hello(alice, [{ id: 1, kind: 'room', last_seq: 4, last_read_seq: 2, unread_count: 2, mention_count: 1 }])
    expect(rooms.get(1)!.mention_count).toBe(1)
    FakeWebSocket.last.receive(serverFrame('message:reply'))
    expect(rooms.get(1)!.mention_count).toBe(2)
    expect(rooms.get(1)!.unread_count).toBe(3)
    // Not a mention: the unread count moves, the mention count does not.
    FakeWebSocket.last.receive(messageFrame(makeMessage(6)))
    expect(rooms.get(1)!.mention_count).toBe(2)
    FakeWebSocket.last.receive(serverFrame('unread'))
    expect(rooms.get(1)!.mention_count).toBe(1)
    rooms.markRead(1, 6)
    expect(rooms.get(1)!.mention_count).toBe(0)
    // Edits and reactions move the room's head, not its badges.
    FakeWebSocket.last.receive(serverFrame('reaction', { seq: 12 }))
    await flush()
    expect(rooms.get(1)!.last_seq).toBe(12)
    expect(rooms.get(1)!.unread_count).toBe(0)
  })
})
