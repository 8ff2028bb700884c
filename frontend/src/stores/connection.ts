import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import type { ConnectionState } from '@/realtime'

export const useConnectionStore = defineStore('connection', () => {
  const state = ref<ConnectionState>('idle')
  const nextRetryAt = ref<number | null>(null)
  /** A hello has been seen at least once in this session. */
  const everOnline = ref(false)

  const online = computed(() => state.value === 'online')
  /** The server speaks a newer protocol: the page must be reloaded (stays until it is). */
  const outdated = computed(() => state.value === 'outdated')
  /** Show the offline banner: we were (or tried to be) connected and are not now. */
  const showBanner = computed(() => state.value === 'offline' || (state.value === 'connecting' && everOnline.value))

  function set(s: ConnectionState, retryAt: number | null): void {
    state.value = s
    nextRetryAt.value = retryAt
    if (s === 'online') everOnline.value = true
  }

  function reset(): void {
    state.value = 'idle'
    nextRetryAt.value = null
    everOnline.value = false
  }

  return { state, nextRetryAt, everOnline, online, outdated, showBanner, set, reset }
})
