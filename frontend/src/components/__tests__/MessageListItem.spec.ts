import { beforeEach, describe, expect, it } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { mount } from '@vue/test-utils'
import { nextTick } from 'vue'
import MessageListItem from '@/components/MessageListItem.vue'
import { alice, bob } from '@/test-utils/fakes'

const base = { sender: bob, createdAt: '2025-01-01T12:00:00Z', own: false, grouped: false }

describe('MessageListItem', () => {
  // The body shows custom emoji from the server's list (a store).
  beforeEach(() => setActivePinia(createPinia()))

  it('says when a scheduled message was meant for only when it went out late', () => {
    const late = mount(MessageListItem, {
      props: { ...base, body: 'standup', status: 'sent', scheduledFor: '2025-01-01T09:00:00Z' },
    })
    const note = late.get('[data-testid="message-scheduled-for"]')
    expect(note.text()).toMatch(/^scheduled for 9:00\s?AM$/)
    const onTime = mount(MessageListItem, {
      props: { ...base, body: 'standup', status: 'sent', scheduledFor: '2025-01-01T11:59:30Z' },
    })
    expect(onTime.find('[data-testid="message-scheduled-for"]').exists()).toBe(false)
    const plain = mount(MessageListItem, { props: { ...base, body: 'hi', status: 'sent' } })
    expect(plain.find('[data-testid="message-scheduled-for"]').exists()).toBe(false)
  })

  it('renders HTML in a body as text', () => {
    const w = mount(MessageListItem, { props: { ...base, body: '<img src=x onerror=alert(1)> <b>hi</b>', seq: 3, status: 'sent' } })
    const body = w.get('[data-testid="message-body"]')
    expect(body.text()).toContain('<img src=x onerror=alert(1)>')
    expect(body.find('img').exists()).toBe(false)
    expect(body.find('b').exists()).toBe(false)
    expect(w.get('[data-testid="message"]').attributes('data-seq')).toBe('3')
  })

  it('makes links open in a new tab without an opener', () => {
    const w = mount(MessageListItem, { props: { ...base, body: 'go to https://example.com now', status: 'sent' } })
    const a = w.get('a')
    expect(a.attributes('href')).toBe('https://example.com/')
    expect(a.attributes('target')).toBe('_blank')
    expect(a.attributes('rel')).toBe('noopener noreferrer')
    expect(a.text()).toBe('https://example.com')
  })

  it('shows pending and failed states with a retry button', async () => {
    const pending = mount(MessageListItem, { props: { ...base, own: true, body: 'x', status: 'pending' } })
    expect(pending.find('[data-testid="message-pending"]').exists()).toBe(true)
    expect(pending.find('[data-testid="message-retry"]').exists()).toBe(false)
    const failed = mount(MessageListItem, { props: { ...base, own: true, body: 'x', status: 'failed', error: 'Slow down' } })
    expect(failed.get('[data-testid="message-failed"]').text()).toContain('Slow down')
    await failed.get('[data-testid="message-retry"]').trigger('click')
    expect(failed.emitted('retry')).toHaveLength(1)
  })

  it('shows a tombstone for a deleted message, without its reactions or actions', () => {
    const w = mount(MessageListItem, {
      props: { ...base, body: '', status: 'sent', deleted: true, actions: true, reactions: [{ emoji: '👍', count: 1, me: false, users: [] }] },
    })
    expect(w.get('[data-testid="message-deleted"]').text()).toBe('message deleted')
    expect(w.find('[data-testid="reaction"]').exists()).toBe(false)
    expect(w.find('[data-testid="message-toolbar"]').exists()).toBe(false)
  })

  it('marks an edited message and lists reaction chips; mine is pressed, a click toggles', async () => {
    const w = mount(MessageListItem, {
      props: {
        ...base,
        body: 'hello',
        status: 'sent',
        edited: true,
        actions: true,
        reactions: [
          { emoji: '👍', count: 3, me: true, users: [] },
          { emoji: '🎉', count: 1, me: false, users: [] },
        ],
      },
    })
    expect(w.get('[data-testid="message-edited"]').text()).toBe('(edited)')
    expect(w.get('[data-testid="message-body"]').text()).toBe('hello')
    const chips = w.findAll('[data-testid="reaction"]')
    expect(chips.map((c) => c.text().replace(/\s+/g, ''))).toEqual(['👍3', '🎉1'])
    expect(chips[0]!.attributes('aria-pressed')).toBe('true')
    expect(chips[0]!.attributes('aria-label')).toBe('👍 from you and 2 others. Click to take yours back')
    await chips[1]!.trigger('click')
    expect(w.emitted('react')).toEqual([['🎉']])
  })

  it('quotes the message it answers; a click asks to jump there', async () => {
    const replyTo = { id: 7, seq: 7, sender: bob, excerpt: 'the original', deleted: false }
    const w = mount(MessageListItem, { props: { ...base, body: 'answer', status: 'sent', replyTo } })
    const quote = w.get('[data-testid="reply-quote"]')
    expect(quote.text()).toContain('the original')
    await quote.trigger('click')
    expect(w.emitted('jump')).toEqual([[replyTo]])
  })

  it('edits in place: Enter saves the new text, Esc cancels, an IME composing is left alone', async () => {
    const w = mount(MessageListItem, { props: { ...base, own: true, body: 'helo', status: 'sent', editing: true, messageId: 4 } })
    const input = w.get('[data-testid="edit-input"]')
    expect((input.element as HTMLTextAreaElement).value).toBe('helo')
    await input.setValue('hello')
    await input.trigger('keydown', { key: 'Enter', isComposing: true })
    expect(w.emitted('save')).toBeUndefined()
    await input.trigger('keydown', { key: 'Enter' })
    expect(w.emitted('save')).toEqual([['hello']])
    await input.trigger('keydown', { key: 'Escape' })
    expect(w.emitted('cancel')).toHaveLength(1)
  })

  it('takes shortcuts on the focused message: R reply, + react, E edit, Delete delete; not when typing elsewhere', async () => {
    const props = { ...base, own: true, body: 'mine', status: 'sent' as const, seq: 4, messageId: 4, actions: true, canEdit: true, canDelete: true }
    const w = mount(MessageListItem, { props, attachTo: document.body })
    const li = w.get('[data-testid="message"]')
    expect(li.attributes('tabindex')).toBe('-1')
    for (const key of ['r', '+', 'e', 'Delete', 'x']) await li.trigger('keydown', { key })
    expect(w.emitted('reply')).toHaveLength(1)
    expect(w.emitted('pick')).toHaveLength(1)
    expect(w.emitted('edit')).toHaveLength(1)
    expect(w.emitted('delete')).toHaveLength(1)
    await li.trigger('keydown', { key: 'r', ctrlKey: true }) // the browser's, not ours
    expect(w.emitted('reply')).toHaveLength(1)
    w.unmount()
  })

  it('offers only what the viewer may do from the keyboard', async () => {
    const w = mount(MessageListItem, { props: { ...base, body: 'theirs', status: 'sent', seq: 5, messageId: 5, actions: true } })
    const li = w.get('[data-testid="message"]')
    for (const key of ['e', 'Delete', 'Backspace']) await li.trigger('keydown', { key })
    expect(w.emitted('edit')).toBeUndefined()
    expect(w.emitted('delete')).toBeUndefined()
    await w.setProps({ actions: false })
    await li.trigger('keydown', { key: 'r' })
    expect(w.emitted('reply')).toBeUndefined()
  })

  it('Enter moves into the toolbar, arrows walk it, Esc returns to the message', async () => {
    const props = {
      ...base,
      ...{ own: true, body: 'mine', status: 'sent' as const, seq: 4, messageId: 4 },
      ...{ actions: true, canEdit: true, canDelete: true, canPin: true, pinned: true },
    }
    const w = mount(MessageListItem, { props, attachTo: document.body })
    const li = w.get('[data-testid="message"]')
    ;(li.element as HTMLElement).focus()
    await w.trigger('mouseenter') // the toolbar is up while the row is hovered or focused
    await li.trigger('keydown', { key: 'Enter' })
    await nextTick()
    const tools = w.findAll('[data-testid="message-toolbar"] button')
    expect(tools.map((b) => b.attributes('title'))).toEqual([
      'Add a reaction (+)',
      'Reply (R)',
      'Copy link',
      'Unpin',
      'Save for later',
      'Edit (E)',
      'Delete (Delete key)',
    ])
    expect(w.get('[data-testid="message-pinned"]').text()).toBe('Pinned')
    expect(document.activeElement).toBe(tools[0]!.element)
    await tools[0]!.trigger('keydown', { key: 'ArrowLeft' })
    expect(document.activeElement).toBe(tools[6]!.element)
    await tools[6]!.trigger('keydown', { key: 'ArrowRight' })
    expect(document.activeElement).toBe(tools[0]!.element)
    await tools[0]!.trigger('keydown', { key: 'Escape' })
    expect(document.activeElement).toBe(li.element)
    w.unmount()
  })

  it('names who reacted, me first as "you"', () => {
    const users = [
      { id: 2, display_name: 'Bob' },
      { id: 1, display_name: 'Alice' },
    ]
    const w = mount(MessageListItem, {
      props: { ...base, body: 'x', status: 'sent', actions: true, meId: 1, reactions: [{ emoji: '🎉', count: 2, me: true, users }] },
    })
    expect(w.get('[data-testid="reaction"]').attributes('aria-label')).toBe('🎉 from you and Bob. Click to take yours back')
    expect(w.get('[data-testid="reaction-who"]').text()).toBe('🎉 you and Bob')
  })

  it("shows a root's thread summary with its people, under a deleted root too, and opens the thread", async () => {
    const threadSummary = {
      reply_count: 3,
      last_reply_at: new Date().toISOString(),
      last_reply_seq: 9,
      participants: [bob, alice],
      following: null,
    }
    const w = mount(MessageListItem, { props: { ...base, body: 'root', status: 'sent', threadSummary } })
    const s = w.get('[data-testid="thread-summary"]')
    expect(s.get('[data-testid="thread-count"]').text()).toBe('3 replies')
    expect(s.findAll('.thread-people > *')).toHaveLength(2)
    await s.trigger('click')
    expect(w.emitted('thread')).toHaveLength(1)
    const gone = mount(MessageListItem, { props: { ...base, body: '', status: 'sent', deleted: true, threadSummary } })
    expect(gone.find('[data-testid="thread-summary"]').exists()).toBe(true)
    const none = mount(MessageListItem, { props: { ...base, body: 'plain', status: 'sent', threadSummary: null } })
    expect(none.find('[data-testid="thread-summary"]').exists()).toBe(false)
  })

  it('says "replied to a thread" on a reply also sent to the room, and offers "Reply in thread" only where asked', async () => {
    const reply = mount(MessageListItem, { props: { ...base, body: 'also here', status: 'sent', inThread: true } })
    await reply.get('[data-testid="thread-link"]').trigger('click')
    expect(reply.emitted('thread')).toHaveLength(1)
    const inRoom = mount(MessageListItem, { props: { ...base, body: 'x', status: 'sent', actions: true, canThread: true } })
    await inRoom.get('[data-testid="message"]').trigger('mouseenter')
    await inRoom.get('[data-testid="action-thread"]').trigger('click')
    expect(inRoom.emitted('thread')).toHaveLength(1)
    await inRoom.get('[data-testid="message"]').trigger('keydown', { key: 't' })
    expect(inRoom.emitted('thread')).toHaveLength(2)
    const inThread = mount(MessageListItem, { props: { ...base, body: 'x', status: 'sent', actions: true, canQuote: false } })
    await inThread.get('[data-testid="message"]').trigger('mouseenter')
    expect(inThread.find('[data-testid="action-thread"]').exists()).toBe(false)
    expect(inThread.find('[data-testid="action-reply"]').exists()).toBe(false)
  })
})
