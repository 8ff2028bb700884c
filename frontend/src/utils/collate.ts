/**
 * Names in any script, sorted the way the UI language sorts them (Intl.Collator):
 * room lists, members, people to message, mention suggestions.
 */
import { intlLocale } from '@/i18n'

const cache = new Map<string, Intl.Collator>()

export function collator(locale: string = intlLocale()): Intl.Collator {
  let c = cache.get(locale)
  if (!c) {
    c = new Intl.Collator(locale, { sensitivity: 'base', numeric: true })
    cache.set(locale, c)
  }
  return c
}

/** Compare two names in the current language (reading it makes a computed sort follow a switch). */
export function compareNames(a: string, b: string, locale?: string): number {
  return collator(locale).compare(a, b)
}

/** A sorted copy of `items` by `name(item)`. */
export function sortByName<T>(items: readonly T[], name: (item: T) => string, locale?: string): T[] {
  const c = collator(locale)
  return [...items].sort((a, b) => c.compare(name(a), name(b)))
}
