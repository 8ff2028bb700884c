/**
 * My saved messages: the Saved view's pages (`GET saved`, newest saved first, by
 * `next_cursor`) and the ids this page knows to be saved (so a message's actions offer
 * "Remove from saved" instead of "Save"). Private: nobody else hears of a save. My other
 * devices do, through the unlogged `saved.updated` frame; a device that was offline reads
 * the list again when the Saved view opens (it always does), so nothing is missed there.
 */
import { defineStore } from 'pinia'
import { reactive, ref } from 'vue'
import { api } from '@/api'
import type { SavedItem } from '@/api/types'
import type { SavedUpdatedOut } from '@/realtime/protocol'

export const useSavedStore = defineStore('saved', () => {
  const ids = reactive(new Set<number>())
  const items = ref<SavedItem[]>([])
  const nextCursor = ref<string | null>(null)
  const loaded = ref(false)
  const loading = ref(false)

  function isSaved(messageId: number): boolean {
    return ids.has(messageId)
  }

  /** The first page, read again (the Saved view does on every visit). */
  async function loadFirst(): Promise<void> {
    loading.value = true
    try {
      const page = await api.saved()
      items.value = page.results
      nextCursor.value = page.next_cursor
      for (const item of page.results) ids.add(item.message.id)
      loaded.value = true
    } finally {
      loading.value = false
    }
  }

  async function loadMore(): Promise<void> {
    if (!nextCursor.value || loading.value) return
    loading.value = true
    try {
      const page = await api.saved(nextCursor.value)
      const have = new Set(items.value.map((i) => i.message.id))
      items.value = [...items.value, ...page.results.filter((i) => !have.has(i.message.id))]
      nextCursor.value = page.next_cursor
      for (const item of page.results) ids.add(item.message.id)
    } finally {
      loading.value = false
    }
  }

  function forget(messageId: number): void {
    ids.delete(messageId)
    items.value = items.value.filter((i) => i.message.id !== messageId)
  }

  async function save(messageId: number): Promise<void> {
    await api.save(messageId)
    ids.add(messageId)
    // The list's order is the server's (when saved): the next visit reads it again.
    loaded.value = false
  }

  async function unsave(messageId: number): Promise<void> {
    await api.unsave(messageId)
    forget(messageId)
  }

  /** `saved.updated`: I saved or unsaved a message on another device (or this one). */
  function applySaved(frame: SavedUpdatedOut): void {
    if (frame.saved) {
      if (!ids.has(frame.message_id)) loaded.value = false
      ids.add(frame.message_id)
    } else forget(frame.message_id)
  }

  /** The message was deleted: it leaves the list (the server filters it out too). */
  function applyDeleted(messageId: number): void {
    items.value = items.value.filter((i) => i.message.id !== messageId)
  }

  function reset(): void {
    ids.clear()
    items.value = []
    nextCursor.value = null
    loaded.value = false
  }

  return { items, nextCursor, loaded, loading, isSaved, loadFirst, loadMore, save, unsave, applySaved, applyDeleted, reset }
})
