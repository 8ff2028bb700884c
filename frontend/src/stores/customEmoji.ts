import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { api, type CustomEmoji } from '@/api'

/** `:name:` as the server accepts it (2 to 32 of a-z, 0-9, _ and -). */
export const CUSTOM_NAME = /^[a-z0-9_-]{2,32}$/
/** A custom emoji's name anywhere in a text: `:party_parrot:`. */
export const CUSTOM_IN_TEXT = /:([a-z0-9_-]{2,32}):/g

/** After this long away, coming back to the tab refetches the list. */
const STALE_MS = 60_000
/** A name not in the list refetches it (one just added elsewhere), at most this often. */
const UNKNOWN_MS = 20_000

/**
 * The server's custom emoji. Loaded when first needed (a message names one, a picker
 * opens, the settings list them), again when the window regains focus after a minute
 * away, and when a message names one the list lacks (at most every 20 s), so emoji added
 * or removed meanwhile show without a reload (there is no frame for them: a change is
 * rare and the list is small).
 */
export const useCustomEmojiStore = defineStore('customEmoji', () => {
  const list = ref<CustomEmoji[]>([])
  const canAdd = ref(false)
  const loaded = ref(false)
  let pending: Promise<void> | null = null
  let fetchedAt = 0
  let listening = false

  const byName = computed(() => {
    const out = new Map<string, CustomEmoji>()
    for (const e of list.value) out.set(e.name, e)
    return out
  })

  function load(force = false): Promise<void> {
    if (!listening && typeof window !== 'undefined') {
      listening = true
      window.addEventListener('focus', () => {
        if (Date.now() - fetchedAt > STALE_MS) void load(true)
      })
    }
    if (pending) return pending
    if (loaded.value && !force) return Promise.resolve()
    pending = api
      .customEmoji()
      .then((out) => {
        list.value = [...out.emoji]
        canAdd.value = out.can_add
        loaded.value = true
        fetchedAt = Date.now()
      })
      .catch(() => {
        // Names stay text until the next try: nothing is lost.
      })
      .finally(() => (pending = null))
    return pending
  }

  /** The emoji named `:name:` in `text`, or undefined (and a first load is started). */
  function find(name: string): CustomEmoji | undefined {
    const found = byName.value.get(name)
    if (!loaded.value) void load()
    else if (!found && Date.now() - fetchedAt > UNKNOWN_MS) void load(true)
    return found
  }

  async function add(name: string, file: File): Promise<CustomEmoji> {
    const made = await api.addCustomEmoji(name, file, file.name || 'emoji.png')
    list.value = [...list.value.filter((e) => e.name !== made.name), made].sort((a, b) => a.name.localeCompare(b.name))
    return made
  }

  async function remove(name: string): Promise<void> {
    await api.deleteCustomEmoji(name)
    list.value = list.value.filter((e) => e.name !== name)
  }

  /** By name, for the picker's Custom tab: names holding every word of the query. */
  function search(query: string): CustomEmoji[] {
    const words = query.toLowerCase().replace(/:/g, ' ').split(/\s+/).filter(Boolean)
    return list.value.filter((e) => words.every((w) => e.name.includes(w)))
  }

  return { list, canAdd, loaded, byName, load, find, add, remove, search }
})
