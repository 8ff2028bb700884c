import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { api, ApiError, ensureCsrf } from '@/api'
import type { User } from '@/api/types'

export const useAuthStore = defineStore('auth', () => {
  const user = ref<User | null>(null)
  /** The start-up check (GET me) has finished. */
  const ready = ref(false)
  let initPromise: Promise<void> | null = null

  const isSignedIn = computed(() => user.value !== null)

  function init(): Promise<void> {
    if (!initPromise) {
      initPromise = (async () => {
        await ensureCsrf()
        try {
          user.value = (await api.me()).user
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
    user.value = (await api.login(username, password)).user
  }

  /** An address (optional) is mailed a link that confirms it. */
  async function register(username: string, password: string, email = ''): Promise<void> {
    user.value = (await api.register(username, password, email)).user
  }

  async function guest(nickname: string, avatar?: string): Promise<void> {
    user.value = (await api.guest(nickname, avatar)).user
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

  /** The server says we are not signed in (401, socket close 4003). */
  function sessionLost(): void {
    user.value = null
  }

  return { user, ready, isSignedIn, init, login, register, guest, logout, sessionLost }
})
