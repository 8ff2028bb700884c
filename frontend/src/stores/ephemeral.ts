import { defineStore } from 'pinia'
import { reactive } from 'vue'
import type { NoticeOut } from '@/realtime/protocol'

export interface EphemeralLine {
  id: number
  text: string
  level: 'info' | 'error'
}

/** Only the latest answer stays above the composer: earlier ones piled up over the
 * conversation (a few `/help`s filled a phone's screen), and each is dismissable. */
const KEEP = 1

/**
 * Answers only I can see (the `notice` frame: a slash command's result, an unknown
 * command), per room. Held in memory only: they are gone after a reload, as the server
 * never stores them.
 */
export const useEphemeralStore = defineStore('ephemeral', () => {
  const byRoom = reactive<Record<number, EphemeralLine[]>>({})
  let next = 1

  function add(frame: NoticeOut): void {
    const list = (byRoom[frame.room] ??= [])
    list.push({ id: next++, text: frame.text, level: frame.level })
    if (list.length > KEEP) list.shift()
  }

  function dismiss(roomId: number, id: number): void {
    const list = byRoom[roomId]
    if (list) byRoom[roomId] = list.filter((l) => l.id !== id)
  }

  function lines(roomId: number): EphemeralLine[] {
    return byRoom[roomId] ?? []
  }

  return { add, dismiss, lines }
})
