import { ref, type Ref } from 'vue'
import { api } from '@/api'
import type { CommandInfo } from '@/api/types'

/**
 * The slash commands of a room (built-ins, bots', webhooks'), read from the server the
 * first time a "/" is typed in that room and kept for the session.
 */
const cache = new Map<number, CommandInfo[]>()

export function useRoomCommands(): { commands: Ref<CommandInfo[]>; load: (roomId: number) => void } {
  const commands = ref<CommandInfo[]>([])
  let asked: number | null = null

  function load(roomId: number): void {
    const known = cache.get(roomId)
    if (known) {
      commands.value = known
      return
    }
    if (asked === roomId) return
    asked = roomId
    commands.value = []
    api
      .commands(roomId)
      .then((list) => {
        cache.set(roomId, list)
        if (asked === roomId) commands.value = list
      })
      .catch(() => {
        asked = null
      })
  }

  return { commands, load }
}
