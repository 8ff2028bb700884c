/**
 * What the composer of each room is doing besides its text: the message it answers and
 * the message being edited in place; and for each thread (issue 29) its draft and its
 * "also send to room" box, so that closing a thread and opening another keeps what was
 * being written in each. Apart from the timeline so that a view can show a draft without
 * knowing how history is loaded (Zulip's `compose_state`).
 */
import { defineStore } from 'pinia'
import { reactive } from 'vue'
import type { Message } from '@/api/types'

export const useComposerStore = defineStore('composer', () => {
  /** Per room: the message the composer answers. */
  const replyTo = reactive<Record<number, Message | null>>({})
  /** Per room: the id of the message being edited in place. */
  const editing = reactive<Record<number, number | null>>({})
  /** Per thread (its root's id): the text being written in the thread's composer. */
  const threadDrafts = reactive<Record<number, string>>({})
  /** Per thread: the "also send to room" box, kept ticked until the send it was for. */
  const alsoToRoom = reactive<Record<number, boolean>>({})

  function threadDraft(rootId: number): string {
    return threadDrafts[rootId] ?? ''
  }

  /** Keep the thread's draft; an empty one is forgotten (no key left per thread ever opened). */
  function setThreadDraft(rootId: number, text: string): void {
    if (text) threadDrafts[rootId] = text
    else delete threadDrafts[rootId]
  }

  function setAlsoToRoom(rootId: number, on: boolean): void {
    if (on) alsoToRoom[rootId] = true
    else delete alsoToRoom[rootId]
  }

  /** The thread's send went out: its draft and its box start over. */
  function threadSent(rootId: number): void {
    delete threadDrafts[rootId]
    delete alsoToRoom[rootId]
  }

  function startReply(roomId: number, message: Message): void {
    replyTo[roomId] = message
  }

  function cancelReply(roomId: number): void {
    replyTo[roomId] = null
  }

  function startEdit(roomId: number, messageId: number): void {
    editing[roomId] = messageId
  }

  /** Stop editing `messageId` (nothing happens when another message is being edited meanwhile). */
  function stopEdit(roomId: number, messageId: number): void {
    if (editing[roomId] === messageId) editing[roomId] = null
  }

  function isEditing(roomId: number, messageId: number): boolean {
    return editing[roomId] === messageId
  }

  /** A message was deleted: neither a reply to it nor an edit of it can go on. */
  function messageDeleted(roomId: number, messageId: number): void {
    if (replyTo[roomId]?.id === messageId) replyTo[roomId] = null
    stopEdit(roomId, messageId)
  }

  function reset(): void {
    for (const k of Object.keys(replyTo)) delete replyTo[Number(k)]
    for (const k of Object.keys(editing)) delete editing[Number(k)]
    for (const k of Object.keys(threadDrafts)) delete threadDrafts[Number(k)]
    for (const k of Object.keys(alsoToRoom)) delete alsoToRoom[Number(k)]
  }

  return {
    replyTo,
    editing,
    threadDrafts,
    alsoToRoom,
    startReply,
    cancelReply,
    startEdit,
    stopEdit,
    isEditing,
    messageDeleted,
    threadDraft,
    setThreadDraft,
    setAlsoToRoom,
    threadSent,
    reset,
  }
})
