/**
 * What the composer of each room is doing besides its text: the message it answers and
 * the message being edited in place. Apart from the timeline so that a view can show a
 * draft without knowing how history is loaded (Zulip's `compose_state`).
 */
import { defineStore } from 'pinia'
import { reactive } from 'vue'
import type { Message } from '@/api/types'

export const useComposerStore = defineStore('composer', () => {
  /** Per room: the message the composer answers. */
  const replyTo = reactive<Record<number, Message | null>>({})
  /** Per room: the id of the message being edited in place. */
  const editing = reactive<Record<number, number | null>>({})

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
  }

  return { replyTo, editing, startReply, cancelReply, startEdit, stopEdit, isEditing, messageDeleted, reset }
})
