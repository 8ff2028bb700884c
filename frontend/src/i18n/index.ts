/**
 * The client's languages: vue-i18n (Composition API), English bundled, the others
 * fetched as their own chunks the first time they are chosen. Which languages there
 * are is the server's one list (settings.LANGUAGES), generated into `languages.gen.ts`
 * (`make protocol`). Codes are Django's (`en`, `zh-hans`, `ko`, `ja`) everywhere: the
 * profile, `Accept-Language`, the socket's `lang=`. `Intl` gets the BCP 47 spelling.
 */
import { createI18n } from 'vue-i18n'
import en from './locales/en.json'
import { BCP47, DEFAULT_LOCALE, LOCALE_NAMES, LOCALES, MATCH, type Locale } from './languages.gen'

export { BCP47, LOCALE_NAMES, LOCALES, type Locale }

/** Where a signed-out choice is kept (the signed-in one is the profile's `language`). */
export const STORAGE_KEY = 'parley.language'

export type Messages = typeof en

// A language added to the server's list fails to compile until its catalogue is loaded here.
const loaders: Record<Exclude<Locale, 'en'>, () => Promise<{ default: Messages }>> = {
  'zh-hans': () => import('./locales/zh-hans.json'),
  ko: () => import('./locales/ko.json'),
  ja: () => import('./locales/ja.json'),
}

/** `Intl` knows only the `other` plural category for this language. */
function oneForm(code: Locale): boolean {
  return new Intl.PluralRules(BCP47[code]).resolvedOptions().pluralCategories.length === 1
}

export const i18n = createI18n<[Messages], Locale, false>({
  legacy: false,
  locale: DEFAULT_LOCALE,
  fallbackLocale: DEFAULT_LOCALE,
  messages: { en } as Record<Locale, Messages>,
  // Languages that do not inflect for number (Chinese, Korean, Japanese) have one form for
  // every count: their plural keys hold one.
  pluralRules: Object.fromEntries(LOCALES.filter(oneForm).map((code) => [code, () => 0])),
  // A missing key shows English (the catalogue test keeps that from happening).
  missingWarn: false,
  fallbackWarn: false,
})

/** `t` for code outside components (stores, utils): follows the current language. */
export const t = i18n.global.t

export function isLocale(code: unknown): code is Locale {
  return typeof code === 'string' && (LOCALES as readonly string[]).includes(code)
}

/**
 * The best of ours for the browser's list: the first tag that names one of ours exactly
 * (`zh-Hans`), or by its primary subtag (`zh-TW` → `zh-hans`, `ko-KR` → `ko`); else the default.
 */
export function matchNavigator(languages: readonly string[]): Locale {
  for (const raw of languages) {
    const tag = raw.toLowerCase()
    const exact = LOCALES.find((code) => code === tag || BCP47[code].toLowerCase() === tag)
    if (exact) return exact
    const primary = LOCALES.find((code) => MATCH[code] === tag.split('-')[0])
    if (primary) return primary
  }
  return DEFAULT_LOCALE
}

/** Saved on the account > stored on this device > the browser's languages > English. */
export function chooseLocale(opts: {
  saved?: string | null
  stored?: string | null
  languages?: readonly string[]
}): Locale {
  if (isLocale(opts.saved)) return opts.saved
  if (isLocale(opts.stored)) return opts.stored
  return matchNavigator(opts.languages ?? [])
}

export function storedLocale(): string | null {
  try {
    return localStorage.getItem(STORAGE_KEY)
  } catch {
    return null
  }
}

function store(code: Locale): void {
  try {
    localStorage.setItem(STORAGE_KEY, code)
  } catch {
    // Private mode without storage: the choice lasts for this page.
  }
}

export function browserLanguages(): readonly string[] {
  if (typeof navigator === 'undefined') return []
  return navigator.languages?.length ? navigator.languages : [navigator.language ?? 'en']
}

/** The current UI language (Django code). */
export function currentLocale(): Locale {
  return i18n.global.locale.value
}

/** The current language for `Intl` (BCP 47). */
export function intlLocale(): string {
  return BCP47[currentLocale()]
}

type Listener = (code: Locale) => void
const listeners = new Set<Listener>()

/** Run `fn` after every language change (formatters rebuild themselves). */
export function onLocaleChange(fn: Listener): () => void {
  listeners.add(fn)
  return () => listeners.delete(fn)
}

/** Fetch a language's catalogue once (English is already here). */
export async function loadLocale(code: Locale): Promise<void> {
  if (code === 'en' || i18n.global.availableLocales.includes(code)) return
  const mod = await loaders[code]()
  i18n.global.setLocaleMessage(code, mod.default)
}

let pending: Locale | null = null

/**
 * Show the UI in `code` now (no reload): load its catalogue, switch, set `<html lang>`,
 * remember it on this device. Saving it on the account is the caller's (the profile PATCH).
 */
export async function setLocale(code: Locale): Promise<void> {
  pending = code
  await loadLocale(code)
  if (pending !== code) return // a later choice won while this one loaded
  i18n.global.locale.value = code
  store(code)
  if (typeof document !== 'undefined') document.documentElement.lang = BCP47[code]
  for (const fn of listeners) fn(code)
}

/** At start-up: the device's or the browser's choice (the account's, once known, wins). */
export function initialLocale(): Locale {
  return chooseLocale({ stored: storedLocale(), languages: browserLanguages() })
}
