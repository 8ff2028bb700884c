/**
 * What a person can do to a message, in one place: reply, copy its link, edit, delete,
 * react (a quick emoji or the picker), report, and the touch menu that offers them. The message list
 * only says which message and where the action came from; the dialogs these open are
 * drawn by MessageListDialogs.vue from the state kept here.
 */
import { t } from '@/i18n'
import { computed, nextTick, reactive, type Ref } from 'vue'
import { ApiError } from '@/api'
import type { Message } from '@/api/types'
import { useAuthStore } from '@/stores/auth'
import { useComposerStore } from '@/stores/composer'
import { useNoticesStore } from '@/stores/notices'
import { usePinsStore } from '@/stores/pins'
import { useRoomsStore } from '@/stores/rooms'
import { useSavedStore } from '@/stores/saved'
import { useTimelineStore } from '@/stores/timeline'
import { copyText } from '@/utils/clipboard'

/** What the touch menu (MessageActionSheet) can ask for besides a quick reaction. */
export type SheetAction = 'reply' | 'thread' | 'copyLink' | 'edit' | 'delete' | 'more' | 'report' | 'pin' | 'save' | 'seenBy'

/** The server's words for a refusal when it gave any, else ours. */
export function failureText(err: unknown, fallback: string): string {
  return err instanceof ApiError ? err.message || fallback : fallback
}

function composerInput(testId = 'composer'): HTMLTextAreaElement | null {
  return document.querySelector<HTMLTextAreaElement>(`[data-testid="${testId}"]`)
}

export function useMessageActions(opts: {
  roomId: Ref<number>
  touch: Ref<boolean>
  /** The address that opens the room at this message (the router knows its shape). */
  linkOf: (m: Message) => string
  /** Open the thread of this message (its root's, for a reply). */
  openThread?: (m: Message) => void
  /** The composer a reply or an edit gives the focus back to (the room's by default). */
  composerTestId?: string
}) {
  const auth = useAuthStore()
  const rooms = useRoomsStore()
  const timelines = useTimelineStore()
  const composer = useComposerStore()
  const notices = useNoticesStore()
  const pins = usePinsStore()
  const saved = useSavedStore()

  const state = reactive({
    /** The emoji picker: for which message, placed by what opened it, focus going back there. */
    picker: null as { msg: Message; anchor: DOMRect | null; origin: HTMLElement | null } | null,
    /** The touch menu's message. */
    sheet: null as Message | null,
    /** The message whose deletion waits for a yes. */
    confirming: null as Message | null,
    deleting: false,
    deleteError: '',
    reporting: null as Message | null,
    /** The message whose "Seen by" list is open. */
    seenBy: null as Message | null,
    /** Per message id: why the last edit was refused. */
    editErrors: {} as Record<number, string>,
  })

  const room = computed(() => rooms.get(opts.roomId.value))
  /** Actions at all: a member of a room that is still open. */
  const canAct = computed(() => !!room.value?.is_member && !room.value.closed)
  const isOwner = computed(() => !!room.value && auth.user?.id === room.value.owner.id)

  function own(m: Message): boolean {
    return auth.user !== null && m.sender.id === auth.user.id
  }
  const canEdit = (m: Message): boolean => own(m)
  const canDelete = (m: Message): boolean => own(m) || isOwner.value || auth.isStaff
  const canReport = (m: Message): boolean => !own(m)
  /** The server's rule (parley/messaging/pins.py): the owner, staff, a DM's people, and members
   * (not guests) where the room lets them. */
  const mayPin = computed(() => {
    const r = room.value
    if (!r || !auth.user) return false
    if (isOwner.value || auth.isStaff) return true
    if (auth.user.is_guest) return false
    return r.kind === 'direct' || r.members_can_pin
  })
  const canPin = (m: Message): boolean => mayPin.value && !m.deleted
  const isPinned = (m: Message): boolean => pins.isPinned(opts.roomId.value, m.id)
  const isSaved = (m: Message): boolean => saved.isSaved(m.id)
  /** "Reply in thread": a message of the room's flow that is not itself in a thread. */
  const canThread = (m: Message): boolean => !!opts.openThread && !m.thread && !m.deleted
  /** "Seen by": my own sent messages in rooms (a DM shows "Seen" under the last one instead). */
  const canSeenBy = (m: Message): boolean => own(m) && !m.deleted && room.value?.kind === 'room'
  function seenBy(m: Message): void {
    state.seenBy = m
  }
  function closeSeenBy(): void {
    state.seenBy = null
  }

  function focusComposer(): void {
    // On a touch screen focusing would pop the keyboard up over what was just done.
    if (!opts.touch.value) composerInput(opts.composerTestId)?.focus()
  }

  // ---- reply ----
  function reply(m: Message): void {
    composer.startReply(opts.roomId.value, m)
    void nextTick(() => composerInput(opts.composerTestId)?.focus())
  }

  // ---- link ----
  async function copyLink(m: Message): Promise<void> {
    const ok = await copyText(opts.linkOf(m))
    if (ok) notices.push(t('messages.linkCopied'), 'info')
    else notices.push(t('messages.copyFailed'))
  }

  // ---- edit ----
  function startEdit(m: Message): void {
    delete state.editErrors[m.id]
    composer.startEdit(opts.roomId.value, m.id)
  }
  function cancelEdit(m: Message): void {
    delete state.editErrors[m.id]
    composer.stopEdit(opts.roomId.value, m.id)
    focusComposer()
  }
  async function saveEdit(m: Message, body: string): Promise<void> {
    delete state.editErrors[m.id]
    try {
      await timelines.edit(opts.roomId.value, m.id, body)
      focusComposer()
    } catch (err) {
      state.editErrors[m.id] = failureText(err, t('messages.editFailed'))
    }
  }

  // ---- link previews ----
  async function removePreview(m: Message, index: number): Promise<void> {
    try {
      await timelines.removePreview(opts.roomId.value, m.id, index)
    } catch (err) {
      notices.push(failureText(err, t('previews.removeFailed')))
    }
  }

  // ---- reactions ----
  async function react(m: Message, emoji: string): Promise<void> {
    try {
      await timelines.toggleReaction(opts.roomId.value, m.id, emoji)
    } catch (err) {
      notices.push(failureText(err, t('messages.reactFailed')))
    }
  }
  function openPicker(m: Message, anchor: HTMLElement | null): void {
    state.picker = { msg: m, anchor: anchor?.getBoundingClientRect() ?? null, origin: anchor }
  }
  /** Focus goes back where the picker was opened from (a message row, a toolbar button). */
  function closePicker(): void {
    const origin = state.picker?.origin
    state.picker = null
    if (origin?.isConnected) origin.focus({ preventScroll: true })
  }
  function picked(emoji: string): void {
    const p = state.picker
    closePicker()
    if (p) void react(p.msg, emoji)
  }

  // ---- pin (the room's list) and save (mine) ----
  async function togglePin(m: Message): Promise<void> {
    const pinned = isPinned(m)
    try {
      if (pinned) await pins.unpin(opts.roomId.value, m.id)
      else await pins.pin(opts.roomId.value, m)
      notices.push(pinned ? t('pins.unpinned') : t('pins.pinned'), 'info')
    } catch (err) {
      notices.push(failureText(err, pinned ? t('pins.unpinFailed') : t('pins.pinFailed')))
    }
  }
  async function toggleSaved(m: Message): Promise<void> {
    const was = isSaved(m)
    try {
      if (was) await saved.unsave(m.id)
      else await saved.save(m.id)
      notices.push(was ? t('saved.removed') : t('saved.added'), 'info')
    } catch (err) {
      notices.push(failureText(err, t('saved.failed')))
    }
  }

  // ---- report ----
  function report(m: Message): void {
    state.reporting = m
  }
  function closeReport(): void {
    state.reporting = null
  }

  // ---- delete ----
  function askDelete(m: Message): void {
    state.deleteError = ''
    state.confirming = m
  }
  /** Delete the message waiting for a yes; true when it is gone (the dialog may close). */
  async function confirmDelete(): Promise<boolean> {
    const m = state.confirming
    if (!m || state.deleting) return false
    state.deleting = true
    state.deleteError = ''
    try {
      await timelines.remove(opts.roomId.value, m.id)
      return true
    } catch (err) {
      state.deleteError = failureText(err, t('messages.deleteFailed'))
      return false
    } finally {
      state.deleting = false
    }
  }
  function closeDelete(): void {
    state.confirming = null
  }

  // ---- touch menu ----
  function openSheet(m: Message): void {
    state.sheet = m
  }
  function closeSheet(): void {
    state.sheet = null
  }
  function sheetReact(emoji: string): void {
    const m = state.sheet
    state.sheet = null
    if (m) void react(m, emoji)
  }
  function sheetAction(action: SheetAction): void {
    const m = state.sheet
    state.sheet = null
    if (!m) return
    if (action === 'reply') reply(m)
    else if (action === 'thread') opts.openThread?.(m)
    else if (action === 'copyLink') void copyLink(m)
    else if (action === 'edit') startEdit(m)
    else if (action === 'delete') askDelete(m)
    else if (action === 'report') report(m)
    else if (action === 'pin') void togglePin(m)
    else if (action === 'save') void toggleSaved(m)
    else if (action === 'seenBy') seenBy(m)
    else openPicker(m, null)
  }

  return {
    state,
    canAct,
    canEdit,
    canDelete,
    canReport,
    canPin,
    isPinned,
    isSaved,
    togglePin,
    toggleSaved,
    canThread,
    canSeenBy,
    seenBy,
    closeSeenBy,
    reply,
    copyLink,
    startEdit,
    cancelEdit,
    saveEdit,
    removePreview,
    react,
    openPicker,
    closePicker,
    picked,
    report,
    closeReport,
    askDelete,
    confirmDelete,
    closeDelete,
    openSheet,
    closeSheet,
    sheetReact,
    sheetAction,
  }
}

export type MessageActions = ReturnType<typeof useMessageActions>
