/**
 * Read receipts (issue 30): how far the other members of a room have read, for "Seen"
 * under my last message in DMs and small rooms and "Seen by …" on a message.
 *
 * Loaded with `GET rooms/{id}/reads` when such a room opens, kept live by `read.updated`
 * frames (the server sends them only in rooms of at most 20 members, and only between
 * people who share receipts). Larger rooms load nothing unless asked (`seenBy`).
 */
import { defineStore } from 'pinia'
import { ref } from 'vue'
import { api } from '@/api'
import type { User } from '@/api/types'
import type { ReadUpdatedOut } from '@/realtime/protocol'

/** Rooms up to this many members show "Seen" live (the server's READ_RECEIPTS_LIVE_MAX). */
export const SEEN_LIVE_MAX = 20

export const useReadsStore = defineStore('reads', () => {
  /** room -> user -> last read seq */
  const byRoom = ref<Record<number, Record<number, number>>>({})
  const users = ref<Record<number, User>>({})
  /** Whether I share receipts (the last answer said so); when not, I see none. */
  const sharing = ref(true)

  function note(roomId: number, userId: number, seq: number): void {
    const room = (byRoom.value[roomId] ??= {})
    room[userId] = Math.max(room[userId] ?? 0, seq)
  }

  async function load(roomId: number): Promise<void> {
    const res = await api.reads(roomId)
    sharing.value = res.sharing
    byRoom.value[roomId] = {}
    for (const r of res.reads) {
      users.value[r.user.id] = r.user
      note(roomId, r.user.id, r.last_read_seq)
    }
  }

  function applyFrame(frame: ReadUpdatedOut): void {
    note(frame.room, frame.user_id, frame.last_read_seq)
  }

  /** Whether someone other than me has read up to `seq` in the room. */
  function seen(roomId: number, seq: number, me: number | undefined): boolean {
    const room = byRoom.value[roomId]
    if (!room) return false
    return Object.entries(room).some(([uid, read]) => Number(uid) !== me && read >= seq)
  }

  /** Who has read a message (asked of the server: any room size). */
  async function seenBy(roomId: number, seq: number): Promise<User[]> {
    const res = await api.reads(roomId, seq)
    sharing.value = res.sharing
    for (const r of res.reads) users.value[r.user.id] = r.user
    return res.reads.map((r) => r.user)
  }

  function reset(): void {
    byRoom.value = {}
    users.value = {}
    sharing.value = true
  }

  return { byRoom, users, sharing, load, applyFrame, seen, seenBy, reset }
})
