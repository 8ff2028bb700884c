import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { ref } from 'vue'
import { useMessageActions } from '@/composables/useMessageActions'
import { stopRealtime } from '@/realtime/session'
import { useAuthStore } from '@/stores/auth'
import { useComposerStore } from '@/stores/composer'
import { useNoticesStore } from '@/stores/notices'
import { useRoomsStore } from '@/stores/rooms'
import { useTimelineStore } from '@/stores/timeline'
import { alice, bob, jsonResponse, makeMessage, makeRoom, mockFetch } from '@/test-utils/fakes'

// The socket is not started: every change goes over REST, as when it is down.

async function setup(owner = bob) {
  setActivePinia(createPinia())
  const http = mockFetch()
  const mine = makeMessage(1, { id: 1, sender: alice, body: 'mine' })
  const theirs = makeMessage(2, { id: 2, sender: bob, body: 'theirs' })
  http.route('GET rooms/1/messages', () => ({ messages: [mine, theirs], has_more: false }))
  useAuthStore().user = alice
  useRoomsStore().put(makeRoom({ id: 1, owner, last_seq: 2 }))
  const timeline = useTimelineStore()
  await timeline.loadLatest(1)
  const actions = useMessageActions({ roomId: ref(1), touch: ref(false), linkOf: (m) => `http://parley.test/rooms/${m.room}?msg=${m.id}&seq=${m.seq}` })
  return { http, actions, timeline, composer: useComposerStore(), mine: timeline.find(1, 1)!, theirs: timeline.find(1, 2)! }
}

describe('useMessageActions', () => {
  beforeEach(() => {
    document.cookie = 'csrftoken=tok'
  })
  afterEach(() => stopRealtime())

  it('offers edit on my messages, report on the others, delete on mine unless I own the room', async () => {
    const { actions, mine, theirs } = await setup()
    expect(actions.canAct.value).toBe(true)
    expect([actions.canEdit(mine), actions.canDelete(mine), actions.canReport(mine)]).toEqual([true, true, false])
    expect([actions.canEdit(theirs), actions.canDelete(theirs), actions.canReport(theirs)]).toEqual([false, false, true])
    const owning = await setup(alice)
    expect(owning.actions.canDelete(owning.theirs)).toBe(true)
  })

  it('no actions in a closed room', async () => {
    const { actions } = await setup()
    useRoomsStore().put(makeRoom({ id: 1, closed: true }))
    expect(actions.canAct.value).toBe(false)
  })

  it('reply and edit go to the composer; the touch menu leads to the same actions', async () => {
    const { actions, composer, mine, theirs } = await setup()
    actions.reply(theirs)
    expect(composer.replyTo[1]?.id).toBe(2)
    actions.openSheet(mine)
    actions.sheetAction('edit')
    expect(actions.state.sheet).toBeNull()
    expect(composer.isEditing(1, 1)).toBe(true)
    actions.cancelEdit(mine)
    expect(composer.isEditing(1, 1)).toBe(false)
    actions.openSheet(theirs)
    actions.sheetAction('report')
    expect(actions.state.reporting?.id).toBe(2)
  })

  it("an edit refused by the server keeps the editor open with the server's words", async () => {
    const { http, actions, composer, mine } = await setup()
    http.route('PATCH messages/1', () =>
      jsonResponse(403, { error: { code: 'edit_window_closed', message: 'Too late to edit.', fields: {} } }),
    )
    actions.startEdit(mine)
    await actions.saveEdit(mine, 'changed')
    expect(actions.state.editErrors[1]).toBe('Too late to edit.')
    expect(composer.isEditing(1, 1)).toBe(true)
  })

  it('deletes after the yes; a refusal stays in the dialog', async () => {
    const { http, actions, timeline, mine } = await setup()
    http.route('DELETE messages/1', () => jsonResponse(409, { error: { code: 'room_closed', message: 'The room is closed.', fields: {} } }))
    actions.askDelete(mine)
    expect(await actions.confirmDelete()).toBe(false)
    expect(actions.state.deleteError).toBe('The room is closed.')
    expect(timeline.find(1, 1)!.deleted).toBe(false)
    http.route('DELETE messages/1', () => undefined)
    expect(await actions.confirmDelete()).toBe(true)
    expect(timeline.find(1, 1)!.deleted).toBe(true)
    expect(actions.state.deleteError).toBe('')
  })

  it('a reaction picked in the picker is toggled; a refusal becomes a notice', async () => {
    const { http, actions, timeline, theirs } = await setup()
    http.route('POST messages/2/reactions/%F0%9F%8E%89', () => ({ reactions: [{ emoji: '🎉', count: 1, me: true, users: [alice] }] }))
    actions.openPicker(theirs, null)
    actions.picked('🎉')
    expect(actions.state.picker).toBeNull()
    await expect.poll(() => timeline.find(1, 2)!.reactions).toEqual([{ emoji: '🎉', count: 1, me: true, users: [alice] }])
    http.route('POST messages/2/reactions/%F0%9F%91%8D', () => jsonResponse(409, { error: { code: 'message_deleted', message: 'Deleted.', fields: {} } }))
    await actions.react(theirs, '👍')
    expect(useNoticesStore().items.map((n) => n.text)).toContain('Deleted.')
    expect(timeline.find(1, 2)!.reactions.map((r) => r.emoji)).toEqual(['🎉'])
  })

  it("copies the message's link from the toolbar or the touch menu, and says whether it worked", async () => {
    const writeText = vi.fn(async () => undefined)
    Object.defineProperty(window, 'isSecureContext', { value: true, configurable: true })
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true })
    try {
      const { actions, theirs } = await setup()
      await actions.copyLink(theirs)
      expect(writeText).toHaveBeenCalledWith('http://parley.test/rooms/1?msg=2&seq=2')
      expect(useNoticesStore().items.at(-1)).toMatchObject({ text: 'Link copied.', kind: 'info' })
      actions.openSheet(theirs)
      actions.sheetAction('copyLink')
      await vi.waitFor(() => expect(writeText).toHaveBeenCalledTimes(2))
      writeText.mockRejectedValueOnce(new Error('denied'))
      await actions.copyLink(theirs)
      expect(useNoticesStore().items.at(-1)).toMatchObject({ text: 'Could not copy the link.', kind: 'error' })
    } finally {
      Reflect.deleteProperty(navigator, 'clipboard')
      Reflect.deleteProperty(window, 'isSecureContext')
    }
  })
})
