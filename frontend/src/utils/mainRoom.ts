import { api } from '@/api'

/**
 * Where a new account or guest lands: the main room, which the server put them in when it
 * created them (their only room then). The lobby when there is none, or on any error.
 */
export async function mainRoomPath(): Promise<string> {
  try {
    const joined = await api.rooms(true)
    const only = joined.length === 1 ? joined[0] : undefined
    return only ? `/rooms/${only.id}` : '/'
  } catch {
    return '/'
  }
}
