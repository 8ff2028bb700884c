import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { api, ApiError, ensureCsrf } from '@/api'
import type { SelfUser, User } from '@/api/types'
import { currentLocale, isLocale, setLocale, type Locale } from '@/i18n'
import { setTimeZone } from '@/utils/time'
import { usePresenceStore } from '@/stores/presence'
import { browserTimeZone } from '@/utils/zones'

/** The reasons the server gives for ending a login (docs/protocol.md, "Signed out"). */
export const SIGNED_OUT_REASONS = [
  'password_changed',
  'password_reset',
  'account_deleted',
  'account_deactivated',
  'guest_removed',
  'logged_out',
] as const
export type SignedOutReason = (typeof SIGNED_OUT_REASONS)[number]

function isSignedOutReason(reason: unknown): reason is SignedOutReason {
  return typeof reason === 'string' && (SIGNED_OUT_REASONS as readonly string[]).includes(reason)
}

export const useAuthStore = defineStore('auth', () => {
  const user = ref<User | null>(null)
  /** Whether this account is staff (from `me` and the sign-in answers; frames do not carry it). */
  const isStaff = ref(false)
  /** The start-up check (GET me) has finished. */
  const ready = ref(false)
  let initPromise: Promise<void> | null = null

  /** The account's saved time zone (`me` and the sign-in answers; the hello's user has none). */
  const timeZone = ref<string | null>(null)

  /** Why the server ended this login (docs/protocol.md, "Signed out"), for the sign-in page; null when not said. */
  const signedOutReason = ref<SignedOutReason | null>(null)

  const isSignedIn = computed(() => user.value !== null)

  /** Show dates in the account's zone from now on (sign-in, a profile saved). */
  function applyTimeZone(zone: string): void {
    timeZone.value = zone
    setTimeZone(zone)
  }

  function signedIn(self: SelfUser): void {
    user.value = self
    isStaff.value = self.is_staff
    signedOutReason.value = null
    usePresenceStore().fromSelf(self)
    applyTimeZone(self.time_zone)
    // After sign-in the account's saved language wins over this device's and the browser's.
    if (isLocale(self.language) && self.language !== currentLocale()) void setLocale(self.language)
  }

  /**
   * Switch the UI language now; for a signed-in user also save it on the account (the
   * profile's `language`), so every device and reload keeps it.
   */
  async function chooseLanguage(code: Locale): Promise<void> {
    await setLocale(code)
    if (user.value) await api.updateProfile({ language: code })
  }

  function init(): Promise<void> {
    if (!initPromise) {
      initPromise = (async () => {
        await ensureCsrf()
        try {
          signedIn((await api.me()).user)
        } catch (err) {
          if (!(err instanceof ApiError) || err.status !== 401) console.warn('me failed', err)
          user.value = null
        } finally {
          ready.value = true
        }
      })()
    }
    return initPromise
  }

  async function login(username: string, password: string): Promise<void> {
    signedIn((await api.login(username, password)).user)
  }

  /** An address (optional) is mailed a link that confirms it. */
  async function register(username: string, password: string, email = '', invitation?: string): Promise<void> {
    signedIn(keepLanguage((await withZone((zone) => api.register(username, password, email, zone, invitation))).user))
  }

  async function guest(nickname: string, avatar?: string): Promise<void> {
    signedIn(keepLanguage((await withZone((zone) => api.guest(nickname, avatar, zone))).user))
  }

  /**
   * A new account or guest starts in the browser's time zone. A server that refuses the
   * name (an engine's id it does not know) answers 400 on `time_zone`: joining must not
   * fail for that, so the request goes again without it (the server's UTC, changed later
   * in the profile).
   */
  async function withZone<T>(send: (zone?: string) => Promise<T>): Promise<T> {
    const zone = browserTimeZone()
    if (!zone) return send()
    try {
      return await send(zone)
    } catch (err) {
      if (err instanceof ApiError && err.status === 400 && err.field('time_zone')) return send()
      throw err
    }
  }

  /**
   * A new account or guest starts with the server's default language; the person was
   * reading this one when they joined, so it becomes the account's (saved in the background).
   */
  function keepLanguage(self: SelfUser): SelfUser {
    const code = currentLocale()
    if (self.language === code) return self
    api.updateProfile({ language: code }).catch((err: unknown) => console.warn('language not saved', err))
    return { ...self, language: code }
  }

  async function logout(): Promise<void> {
    try {
      await api.logout()
    } catch {
      // signed out locally either way
    }
    sessionLost()
    await ensureCsrf(true)
  }

  /**
   * The server says we are not signed in (401, socket close 4003), with the reason it
   * gave, if any (an unknown one is not shown: the page then says nothing of why).
   */
  function sessionLost(reason?: string): void {
    signedOutReason.value = isSignedOutReason(reason) ? reason : null
    user.value = null
    isStaff.value = false
    timeZone.value = null
  }

  return { user, isStaff, signedOutReason, timeZone, applyTimeZone, ready, isSignedIn, init, login, signedIn, register, guest, logout, sessionLost, chooseLanguage }
})
