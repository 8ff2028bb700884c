/**
 * Each room's pinned messages (`GET rooms/{id}/pins`, most recently pinned first), kept
 * live by the room's log: `message.pinned` adds or drops one, `message.updated` refreshes
 * a pinned message's copy, `message.deleted` drops it (the server unpins a deleted
 * message without an event of its own). A room's list is read when the room is opened;
 * a pin of a message this page does not hold reads the list again.
 */
import { defineStore } from 'pinia'
import { reactive } from 'vue'
import { api } from '@/api'
import type { Message } from '@/api/types'
import type { MessagePinnedOut } from '@/realtime/protocol'

interface RoomPins {
  loaded: boolean
  messages: Message[]
}

export const usePinsStore = defineStore('pins', () => {
  const byRoom = reactive<Record<number, RoomPins>>({})
  const loading = new Map<number, Promise<void>>()

  function list(roomId: number): Message[] {
    return byRoom[roomId]?.messages ?? []
  }

  function count(roomId: number): number {
    return list(roomId).length
  }

  function isPinned(roomId: number, messageId: number): boolean {
    return list(roomId).some((m) => m.id === messageId)
  }

  /** Read the room's pins (one request at a time per room). */
  function load(roomId: number): Promise<void> {
    const running = loading.get(roomId)
    if (running) return running
    const p = api
      .pins(roomId)
      .then((out) => {
        byRoom[roomId] = { loaded: true, messages: out.pins.map((m) => ({ ...m })) }
      })
      .finally(() => loading.delete(roomId))
    loading.set(roomId, p)
    return p
  }

  function put(roomId: number, message: Message): void {
    const room = (byRoom[roomId] ??= { loaded: false, messages: [] })
    if (!room.messages.some((m) => m.id === message.id)) room.messages.unshift({ ...message })
  }

  function drop(roomId: number, messageId: number): void {
    const room = byRoom[roomId]
    if (room) room.messages = room.messages.filter((m) => m.id !== messageId)
  }

  /** A `message.pinned` event (live, replayed or filling a gap); `known`: the message, when the
   * room's timeline holds it. */
  function applyPinned(frame: MessagePinnedOut, known?: Message): void {
    if (!frame.pinned) {
      drop(frame.room, frame.message_id)
      return
    }
    if (isPinned(frame.room, frame.message_id)) return
    if (known && !known.deleted) put(frame.room, known)
    else if (byRoom[frame.room]?.loaded) void load(frame.room).catch(() => undefined)
  }

  /** A pinned message was edited (or its thumbnails made): show the new copy. */
  function applyUpdated(roomId: number, message: Message): void {
    const room = byRoom[roomId]
    const at = room?.messages.findIndex((m) => m.id === message.id) ?? -1
    if (room && at >= 0) room.messages[at] = { ...message, reactions: room.messages[at]!.reactions }
  }

  async function pin(roomId: number, message: Message): Promise<void> {
    await api.pin(message.id)
    put(roomId, message)
  }

  async function unpin(roomId: number, messageId: number): Promise<void> {
    await api.unpin(messageId)
    drop(roomId, messageId)
  }

  function dropRoom(roomId: number): void {
    delete byRoom[roomId]
  }

  function reset(): void {
    for (const id of Object.keys(byRoom)) delete byRoom[Number(id)]
    loading.clear()
  }

  return { list, count, isPinned, load, applyPinned, applyUpdated, drop, pin, unpin, dropRoom, reset }
})
