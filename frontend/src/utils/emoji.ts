/**
 * Emoji for reactions: a short row of common ones, and a search over the
 * standard set (emojibase-data, labels and tags in the UI language), loaded on
 * first use so the app's first load does not carry it.
 */
import { currentLocale, type Locale } from '@/i18n'
export const QUICK_EMOJI = ['👍', '❤️', '😂', '🎉', '😮', '😢', '🙏', '👀'] as const

export interface EmojiEntry {
  emoji: string
  label: string
  /** Lower-case words to match: the label's words, tags, shortcodes. */
  terms: string[]
}

/** The shape of an entry of emojibase-data's `en/compact.json` that we read. */
interface CompactEmoji {
  unicode: string
  label?: string
  annotation?: string
  tags?: string[]
  shortcodes?: string[]
  group?: number
  order?: number
}

/**
 * Group 2 is "component" (skin-tone and hair swatches); entries with no group
 * (the regional indicator letters) are parts of flags. Neither is a reaction on its own.
 */
const COMPONENT_GROUP = 2

const loading = new Map<Locale, Promise<EmojiEntry[]>>()

/**
 * Each language's emojibase data: a file of its own (hashed, cached for good). Keyed by the
 * generated `Locale`: a language added to the server's list fails to compile until it is here.
 */
const DATA_URL: Record<Locale, () => Promise<{ default: string }>> = {
  en: () => import('emojibase-data/en/compact.json?url'),
  'zh-hans': () => import('emojibase-data/zh/compact.json?url'),
  ko: () => import('emojibase-data/ko/compact.json?url'),
  ja: () => import('emojibase-data/ja/compact.json?url'),
}

/** The standard emoji set in Unicode's order, named in `locale` (loaded once per language). */
export function loadEmoji(locale: Locale = currentLocale()): Promise<EmojiEntry[]> {
  let p = loading.get(locale)
  if (!p) {
    // Fetched the first time a picker opens in this language.
    p = DATA_URL[locale]()
      .then(async ({ default: url }) => {
        const res = await fetch(url, { credentials: 'same-origin' })
        if (!res.ok) throw new Error(`emoji data: ${res.status}`)
        return toEntries((await res.json()) as CompactEmoji[])
      })
      .catch((err: unknown) => {
        loading.delete(locale)
        throw err
      })
    loading.set(locale, p)
  }
  return p
}

export function toEntries(data: CompactEmoji[]): EmojiEntry[] {
  return data
    .filter((e) => e.group !== undefined && e.group !== COMPONENT_GROUP && typeof e.unicode === 'string')
    .sort((a, b) => (a.order ?? 0) - (b.order ?? 0))
    .map((e) => {
      const label = e.label ?? e.annotation ?? ''
      const terms = new Set<string>()
      for (const w of label.toLowerCase().split(/[\s:,_-]+/)) if (w) terms.add(w)
      for (const t of e.tags ?? []) terms.add(t.toLowerCase())
      for (const c of e.shortcodes ?? []) terms.add(c.toLowerCase())
      return { emoji: e.unicode, label, terms: [...terms] }
    })
}

const NON_ASCII = /[^\p{ASCII}]/u

/** Entries whose label, tags or shortcodes start with every word of the query; best first. */
export function searchEmoji(all: EmojiEntry[], query: string, limit = 64): EmojiEntry[] {
  const words = query.toLowerCase().trim().split(/\s+/).filter(Boolean)
  if (words.length === 0) return all.slice(0, limit)
  const scored: Array<[number, EmojiEntry]> = []
  for (const e of all) {
    let score = 0
    let ok = true
    for (const w of words) {
      if (e.label.toLowerCase() === w) score += 3
      else if (e.terms.some((t) => t === w)) score += 2
      else if (e.terms.some((t) => t.startsWith(w))) score += 1
      // Chinese and Japanese write words without spaces: a query in them matches inside a label.
      else if (NON_ASCII.test(w) && (e.label.includes(w) || e.terms.some((t) => t.includes(w)))) score += 1
      else {
        ok = false
        break
      }
    }
    if (ok) scored.push([score, e])
  }
  // Stable: equal scores keep Unicode's order.
  scored.sort((a, b) => b[0] - a[0])
  return scored.slice(0, limit).map(([, e]) => e)
}
