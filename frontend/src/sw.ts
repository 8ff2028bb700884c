/**
 * Parley's service worker, served at /sw.js with the whole site as its scope.
 *
 * - The app shell (index.html, the entry chunks, styles, icons) is precached by Workbox
 *   from the build's manifest, so the app opens offline.
 * - Page loads go to the network first (Django sets the CSRF cookie on them) and fall back
 *   to the precached shell offline.
 * - The API's JSON GETs (rooms, a room's history, members, me) go to the network first
 *   and keep their last answer, so rooms opened before read offline; writes are never
 *   cached (the outbox queues them while the socket is down, as without a worker).
 * - Signing in or out empties that cache and drops this browser's push subscription, so
 *   the next person on the machine reads and receives nothing of the last.
 * - `push` shows the notification, `notificationclick` opens the message.
 *
 * Type-checked on its own (tsconfig.sw.json: the WebWorker library, not the DOM).
 */
import { clientsClaim } from 'workbox-core'
import { cleanupOutdatedCaches, matchPrecache, precacheAndRoute } from 'workbox-precaching'
import { NavigationRoute, registerRoute } from 'workbox-routing'
import { NetworkFirst } from 'workbox-strategies'
import { ExpirationPlugin } from 'workbox-expiration'
import { appPath, notificationFor, parsePushPayload, type PushWords } from './pwa/push'
import { pwa as en } from './i18n/locales/en.json'
import { pwa as ja } from './i18n/locales/ja.json'
import { pwa as ko } from './i18n/locales/ko.json'
import { pwa as zhHans } from './i18n/locales/zh-hans.json'

declare const self: ServiceWorkerGlobalScope & {
  __WB_MANIFEST: Array<{ url: string; revision: string | null }>
  cookieStore?: { get(name: string): Promise<{ value: string } | null> }
}

/** The cache of API answers read offline; emptied on every sign-in and sign-out. */
const API_CACHE = 'parley-api'
const SHELL = '/static/index.html'
const ICON = '/static/icons/icon-192.png'
/** Server pages that are not the app (they must never get the shell instead). */
const SERVER_PAGES = [/^\/api\//, /^\/admin\//, /^\/static\//, /^\/ws\//, /^\/auth\//, /^\/healthz$/, /^\/metrics$/]
/** Requests after which the person on this browser may be someone else. */
const SESSION_CHANGES = /^\/api\/v1\/(auth\/(login|logout|register|guest)|me)$/

// --- the app shell --------------------------------------------------------------------
// The first worker takes the open page at once (offline from the first visit on); a later
// one waits for the reader's "Reload" (SKIP_WAITING below) and then takes over.
clientsClaim()
cleanupOutdatedCaches()
precacheAndRoute(self.__WB_MANIFEST)

registerRoute(
  new NavigationRoute(
    async ({ request }) => {
      try {
        return await fetch(request)
      } catch (err) {
        const shell = await matchPrecache(SHELL)
        if (shell) return shell
        throw err
      }
    },
    { denylist: SERVER_PAGES },
  ),
)

// --- the last-opened rooms, read-only offline --------------------------------------------
/**
 * Which sign-in the cached answers belong to: raised when the person may have changed
 * (`forgetSession`). An answer to a request sent before that is not kept, or a read still in
 * flight at sign-out would put the cache back after it was emptied.
 */
let session = 0

/** Keep only what the app reads as data: JSON that succeeded (not files, not errors), asked for in this sign-in. */
const jsonOnly = {
  requestWillFetch: async ({ request, state }: { request: Request; state?: Record<string, unknown> }) => {
    if (state) state.session = session
    return request
  },
  cacheWillUpdate: async ({ response, state }: { response: Response; state?: Record<string, unknown> }) =>
    response.status === 200 &&
    (response.headers.get('Content-Type') ?? '').startsWith('application/json') &&
    state?.session === session
      ? response
      : null,
}

/** Never kept: sign-in plumbing (CSRF, socket tickets) and exports (whole archives). */
const NOT_KEPT = /^\/api\/v1\/(auth\/|.*\/export$)/

registerRoute(
  ({ url, request, sameOrigin }) =>
    sameOrigin && request.method === 'GET' && url.pathname.startsWith('/api/v1/') && !NOT_KEPT.test(url.pathname),
  new NetworkFirst({
    cacheName: API_CACHE,
    plugins: [jsonOnly, new ExpirationPlugin({ maxEntries: 400, maxAgeSeconds: 14 * 24 * 3600, purgeOnQuotaError: true })],
  }),
)

/**
 * The person on this browser may be someone else now: forget the cached answers, and the
 * push subscription (it belongs to the sign-in that made it; the push service then answers
 * 410 and the server drops the device).
 */
async function forgetSession(): Promise<void> {
  session += 1
  await caches.delete(API_CACHE)
  const sub = await self.registration.pushManager.getSubscription()
  await sub?.unsubscribe()
}

for (const method of ['POST', 'DELETE'] as const) {
  registerRoute(
    ({ url, sameOrigin }) => sameOrigin && SESSION_CHANGES.test(url.pathname),
    async ({ request, event }) => {
      const response = await fetch(request)
      if (response.ok) (event as ExtendableEvent).waitUntil(forgetSession())
      return response
    },
    method,
  )
}

// --- updates ---------------------------------------------------------------------------
// The page's "Reload" (AppUpdatePrompt) asks the waiting worker to take over.
self.addEventListener('message', (event) => {
  if ((event.data as { type?: string } | null)?.type === 'SKIP_WAITING') void self.skipWaiting()
})

// --- push ------------------------------------------------------------------------------
// The worker has no vue-i18n: it takes its one word ('pwa.newMessage') from each catalogue's
// `pwa` section (a named JSON import, so the rest of the catalogue stays out of the worker).
const WORDS: Record<string, PushWords> = { en, ja, ko, zh: zhHans }

/** The reader's language for the few words the worker says itself. */
function words(): PushWords {
  for (const tag of self.navigator.languages ?? [self.navigator.language]) {
    const primary = tag.toLowerCase().split('-')[0] ?? ''
    const found = WORDS[primary]
    if (found) return found
  }
  return en
}

self.addEventListener('push', (event) => {
  let data: unknown = null
  try {
    data = event.data?.json()
  } catch {
    // not JSON: still say that something arrived (userVisibleOnly promises it)
  }
  const { title, options } = notificationFor(parsePushPayload(data), words(), ICON)
  event.waitUntil(self.registration.showNotification(title, options))
})

self.addEventListener('notificationclick', (event) => {
  event.notification.close()
  const url = appPath((event.notification.data as { url?: string } | null)?.url)
  const done = openInApp(url)
  try {
    event.waitUntil(done)
  } catch {
    // An event a test dispatched itself (through DevTools) cannot be extended; it still opens.
  }
})

/**
 * Bring a Parley window forward and let its router open the message (no reload: its socket
 * and drafts stay); with no window open, open one at the message.
 */
async function openInApp(url: string): Promise<void> {
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true })
  const target = windows.find((w) => new URL(w.url).origin === self.location.origin)
  if (target) {
    target.postMessage({ type: 'parley:open', url })
    // Focusing needs the click's permission; without it (an old click) the message still opens.
    await target.focus().catch(() => undefined)
    return
  }
  await self.clients.openWindow(url)
}

self.addEventListener('pushsubscriptionchange', (event) => {
  const change = event as Event & {
    oldSubscription?: PushSubscription | null
    newSubscription?: PushSubscription | null
    waitUntil(p: Promise<unknown>): void
  }
  change.waitUntil(resubscribe(change.oldSubscription ?? null, change.newSubscription ?? null))
})

/**
 * The push service replaced or expired the subscription: subscribe again with the same
 * server key and tell the server. Without a way to read the CSRF cookie here, the page
 * does it on its next start (pwa/register.ts syncs the subscription it finds).
 */
async function resubscribe(old: PushSubscription | null, fresh: PushSubscription | null): Promise<void> {
  let sub = fresh
  if (!sub) {
    const key = old?.options.applicationServerKey
    if (!key) return
    sub = await self.registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key })
  }
  const csrf = (await self.cookieStore?.get('csrftoken'))?.value
  if (!csrf) return
  await fetch('/api/v1/push/subscriptions', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', 'X-CSRFToken': csrf },
    body: JSON.stringify(sub.toJSON()),
  })
}
