/**
 * Desktop notifications and the message sound.
 *
 * Permission is asked only from a click ("Turn on desktop notifications"), never on
 * load: browsers ignore or penalise prompts nobody asked for. A message that matches
 * the room's setting (`utils/notify`) while the page is hidden shows a notification
 * (title: who and where; body: a plain excerpt) and plays a short beep made with
 * WebAudio (no sound file to ship); clicking it focuses the tab and opens the room.
 * The sound's on/off lives in localStorage, per browser. Nothing sounds or shows while my
 * do-not-disturb is on (the presence store; push notifications will read the same).
 */
import { ref } from 'vue'
import type { MessageFrame } from '@/realtime/protocol'
import { useAuthStore } from '@/stores/auth'
import { usePresenceStore } from '@/stores/presence'
import { useRoomsStore } from '@/stores/rooms'
import { useThreadsStore } from '@/stores/threads'
import { dmOthers, roomTitle } from '@/utils/roomTitle'
import { excerpt, notificationTitle, shouldNotify } from '@/utils/notify'

const SOUND_KEY = 'parley.sound'

type Permission = NotificationPermission | 'unsupported'

function currentPermission(): Permission {
  return typeof Notification === 'undefined' ? 'unsupported' : Notification.permission
}

function storedSound(): boolean {
  try {
    return localStorage.getItem(SOUND_KEY) !== 'off'
  } catch {
    return true
  }
}

const permission = ref<Permission>(currentPermission())
const soundOn = ref(storedSound())
let audio: AudioContext | null = null
/** How a click on a notification opens its room, or a thread beside it at a reply (App.vue hands in the router's way). */
let openRoom: (id: number, thread?: { root: number; at: number }) => void = () => undefined

export function setRoomOpener(open: (id: number, thread?: { root: number; at: number }) => void): void {
  openRoom = open
}

/** Ask for permission (call from a click). */
async function enable(): Promise<Permission> {
  if (typeof Notification === 'undefined') return (permission.value = 'unsupported')
  unlockAudio()
  permission.value = await Notification.requestPermission()
  return permission.value
}

function setSound(on: boolean): void {
  soundOn.value = on
  try {
    localStorage.setItem(SOUND_KEY, on ? 'on' : 'off')
  } catch {
    // private mode: the choice lasts for this page
  }
  if (on) unlockAudio()
}

/** Browsers start audio only after a gesture: make the context on one, reuse it later. */
function unlockAudio(): void {
  const Ctor = typeof window !== 'undefined' ? window.AudioContext : undefined
  if (!Ctor) return
  audio ??= new Ctor()
  if (audio.state === 'suspended') void audio.resume().catch(() => undefined)
}

function beep(): void {
  if (!soundOn.value || !audio || audio.state !== 'running') return
  const now = audio.currentTime
  const osc = audio.createOscillator()
  const gain = audio.createGain()
  osc.type = 'sine'
  osc.frequency.setValueAtTime(880, now)
  osc.frequency.setValueAtTime(660, now + 0.09)
  gain.gain.setValueAtTime(0.0001, now)
  gain.gain.exponentialRampToValueAtTime(0.15, now + 0.01)
  gain.gain.exponentialRampToValueAtTime(0.0001, now + 0.25)
  osc.connect(gain).connect(audio.destination)
  osc.start(now)
  osc.stop(now + 0.26)
}

/** A `message` frame arrived: notify (and beep) when it deserves it. */
function onMessage(frame: MessageFrame): void {
  const me = useAuthStore().user
  const room = useRoomsStore().get(frame.room)
  const m = frame.message
  if (!me || !room) return
  // A reply only in its thread: for the threads I follow, or when it names me (issue 29).
  const mentionsMe = m.mentions.includes(me.id) || m.mentions_room
  if (m.thread && !m.also_to_room && !mentionsMe && !useThreadsStore().follows(m.thread)) return
  const decision = shouldNotify({
    setting: room.notify,
    kind: room.kind,
    fromMe: m.sender.id === me.id,
    mentionsMe: m.mentions.includes(me.id) || m.mentions_room,
    pageVisible: document.visibilityState !== 'hidden',
  })
  if (!decision) return
  // Do-not-disturb: no sound and no desktop notification (the unread badges still count).
  if (usePresenceStore().dndOn) return
  beep()
  if (permission.value !== 'granted' || typeof Notification === 'undefined') return
  const title = notificationTitle(m.sender.display_name, room.kind, roomTitle(room, me.id), dmOthers(room, me.id).length)
  try {
    const n = new Notification(title, { body: excerpt(m.body), tag: `parley-room-${frame.room}` })
    n.onclick = () => {
      window.focus()
      openRoom(frame.room, m.thread ? { root: m.thread, at: frame.seq } : undefined)
      n.close()
    }
  } catch {
    // Some browsers (Android Chrome) allow notifications only from a service worker.
  }
}

export function useNotifications() {
  permission.value = currentPermission()
  return { permission, soundOn, enable, setSound }
}

export const notifications = { onMessage }
