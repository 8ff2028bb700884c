/**
 * The one socket of the app. Stores send through `realtime`; only
 * realtime/session.ts starts and stops it and routes frames to stores.
 */
import { RealtimeConnection, type ConnectionOptions } from './connection'
import type { ClientFrame } from './protocol'

let conn: RealtimeConnection | null = null

export const realtime = {
  start(options: ConnectionOptions): RealtimeConnection {
    conn?.stop()
    conn = new RealtimeConnection(options)
    conn.start()
    return conn
  },
  stop(): void {
    conn?.stop()
    conn = null
  },
  send(frame: ClientFrame): boolean {
    return conn?.send(frame) ?? false
  },
  get isReady(): boolean {
    return conn?.isReady ?? false
  },
  get generation(): number {
    return conn?.generation ?? 0
  },
  get connection(): RealtimeConnection | null {
    return conn
  },
  reconnectNow(): void {
    conn?.reconnectNow()
  },
  networkLost(): void {
    conn?.networkLost()
  },
}

export type { ConnectionState } from './connection'
