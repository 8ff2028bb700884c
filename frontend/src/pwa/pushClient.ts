/**
 * This browser's push subscription: can it have one, turn it on (permission, the server's
 * key, `pushManager.subscribe`, `POST push/subscriptions`), turn it off, and keep the server
 * told of it. The account page (PushSettings.vue) and the app's start (AppUpdatePrompt.vue)
 * use it; the service worker shows what arrives (sw.ts).
 */
import { pushApi, type PushDevice } from '@/api/push'
import { base64UrlToBytes, sameKey } from './push'

/** Why this browser cannot receive pushes, or null when it can. */
export type PushUnsupported = 'insecure' | 'unsupported' | null

export function pushUnsupported(): PushUnsupported {
  if (typeof window === 'undefined') return 'unsupported'
  if (!window.isSecureContext) return 'insecure'
  if (!('serviceWorker' in navigator) || !('PushManager' in window) || !('Notification' in window)) return 'unsupported'
  return null
}

/** Thrown when the reader did not allow notifications (`denied`: blocked in site settings). */
export class PushPermissionError extends Error {
  constructor(readonly permission: NotificationPermission) {
    super(`notification permission: ${permission}`)
  }
}

/** The worker's registration, once it is active (registered by AppUpdatePrompt at start). */
async function registration(): Promise<ServiceWorkerRegistration> {
  return navigator.serviceWorker.ready
}

/** This browser's subscription, or null (none, or no worker yet). */
export async function currentSubscription(): Promise<PushSubscription | null> {
  if (pushUnsupported()) return null
  const reg = await navigator.serviceWorker.getRegistration('/')
  return (await reg?.pushManager.getSubscription()) ?? null
}

/**
 * Ask for permission (only from a click: browsers refuse otherwise), subscribe with the
 * server's key and store the subscription there. Returns the device as the server lists it.
 */
export async function enablePush(): Promise<PushDevice> {
  const permission = Notification.permission === 'granted' ? 'granted' : await Notification.requestPermission()
  if (permission !== 'granted') throw new PushPermissionError(permission)
  const key = base64UrlToBytes(await pushApi.key())
  const reg = await registration()
  let sub = await reg.pushManager.getSubscription()
  // A subscription made with another key (the server's key changed) cannot be used.
  if (sub && !sameKey(sub.options.applicationServerKey, key)) {
    await sub.unsubscribe()
    sub = null
  }
  sub ??= await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key })
  return pushApi.subscribe(sub.toJSON())
}

/** Stop this browser's pushes: the server forgets the device, the browser the subscription. */
export async function disablePush(device: PushDevice | null): Promise<void> {
  if (device) await pushApi.remove(device.id)
  await (await currentSubscription())?.unsubscribe()
}

/**
 * At start: a subscription this browser holds is stored again (200 when the server has it),
 * so a renewed subscription the worker could not report, or one made under another account
 * on this browser, reaches the account now signed in. Nothing happens without one.
 */
export async function syncSubscription(): Promise<void> {
  if (pushUnsupported() || Notification.permission !== 'granted') return
  const sub = await currentSubscription()
  if (sub) await pushApi.subscribe(sub.toJSON())
}
