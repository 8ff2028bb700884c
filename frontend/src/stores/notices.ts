import { defineStore } from 'pinia'
import { ref } from 'vue'

export interface Notice {
  id: number
  text: string
  kind: 'info' | 'error'
}

/** Short messages for the user (aria-live region in App.vue). */
export const useNoticesStore = defineStore('notices', () => {
  const items = ref<Notice[]>([])
  let next = 1

  function push(text: string, kind: Notice['kind'] = 'error', ttlMs = 6000): void {
    const id = next++
    items.value.push({ id, text, kind })
    if (items.value.length > 4) items.value.shift()
    setTimeout(() => dismiss(id), ttlMs)
  }

  function dismiss(id: number): void {
    items.value = items.value.filter((n) => n.id !== id)
  }

  return { items, push, dismiss }
})
