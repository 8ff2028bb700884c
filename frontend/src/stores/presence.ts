/**
 * Where people are (issue 30): each person's state (`online`, `away`, `dnd`, `offline`)
 * and status, from member lists, DM lists and `presence` frames; and my own status,
 * do-not-disturb, away and read-receipt choice, which `PATCH me` changes.
 *
 * A status or do-not-disturb carries its end: it reads as gone at that moment here (a
 * clock ticks every 15 s), before the server's periodic job says so to everyone.
 */
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { api } from '@/api'
import type { PresenceState, SelfUser, Status, UserPresence } from '@/api/types'
import type { PresenceOut } from '@/realtime/protocol'

export interface Mine {
  status: Status | null
  dnd_until: string | null
  away: boolean
  share_read_receipts: boolean
}

const EMPTY: Mine = { status: null, dnd_until: null, away: false, share_read_receipts: true }

/** Whether a time (ISO) is still ahead of `now` (ms); null: no end. */
function ahead(when: string | null | undefined, now: number): boolean {
  return when == null || Date.parse(when) > now
}

/** A status that has not run out, else null. */
export function liveStatus(status: Status | null | undefined, now: number = Date.now()): Status | null {
  if (!status || (!status.emoji && !status.text)) return null
  return ahead(status.expires_at, now) ? status : null
}

export const usePresenceStore = defineStore('presence', () => {
  const people = ref<Record<number, UserPresence>>({})
  const mine = ref<Mine>({ ...EMPTY })
  const now = ref(Date.now())
  let ticking: ReturnType<typeof setInterval> | null = null

  function tick(): void {
    now.value = Date.now()
  }

  function startClock(): void {
    if (ticking === null && typeof window !== 'undefined') ticking = setInterval(tick, 15_000)
  }

  function apply(p: UserPresence): void {
    people.value[p.user_id] = { user_id: p.user_id, state: p.state, status: p.status }
  }

  function applyMany(list: readonly UserPresence[] | undefined): void {
    for (const p of list ?? []) apply(p)
  }

  /** A `presence` frame: a person's form (a room's online count is the rooms store's). */
  function applyFrame(frame: PresenceOut): boolean {
    if (frame.user_id == null || frame.state == null) return false
    apply({ user_id: frame.user_id, state: frame.state, status: frame.status ?? null })
    return true
  }

  /** A person's state as known now (unknown people read as offline). */
  function stateOf(userId: number): PresenceState {
    return people.value[userId]?.state ?? 'offline'
  }

  function statusOf(userId: number): Status | null {
    return liveStatus(people.value[userId]?.status, now.value)
  }

  /** My do-not-disturb is on now: desktop notifications and sounds stay quiet. */
  const dndOn = computed(() => mine.value.dnd_until !== null && ahead(mine.value.dnd_until, now.value))
  const myStatus = computed(() => liveStatus(mine.value.status, now.value))

  function fromSelf(self: SelfUser): void {
    mine.value = {
      status: self.status ?? null,
      dnd_until: self.dnd_until ?? null,
      away: self.away ?? false,
      share_read_receipts: self.share_read_receipts ?? true,
    }
    startClock()
  }

  async function save(change: Parameters<typeof api.updateProfile>[0]): Promise<void> {
    const { user } = await api.updateProfile(change)
    fromSelf(user)
  }

  /** Set (or with null clear) my status; `expiresAt` null keeps it until cleared. */
  function setStatus(status: { emoji: string; text: string; expiresAt: Date | null } | null): Promise<void> {
    return save({
      status: status && { emoji: status.emoji, text: status.text, expires_at: status.expiresAt?.toISOString() ?? null },
    })
  }

  function setDnd(until: Date | null): Promise<void> {
    return save({ dnd_until: until?.toISOString() ?? null })
  }

  function setAway(away: boolean): Promise<void> {
    return save({ away })
  }

  function setShareReads(share: boolean): Promise<void> {
    return save({ share_read_receipts: share })
  }

  function reset(): void {
    people.value = {}
    mine.value = { ...EMPTY }
    if (ticking !== null) clearInterval(ticking)
    ticking = null
  }

  return {
    people,
    mine,
    now,
    tick,
    apply,
    applyMany,
    applyFrame,
    stateOf,
    statusOf,
    dndOn,
    myStatus,
    fromSelf,
    setStatus,
    setDnd,
    setAway,
    setShareReads,
    reset,
  }
})
