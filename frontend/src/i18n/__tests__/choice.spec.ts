import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import {
  chooseLocale,
  currentLocale,
  i18n,
  initialLocale,
  matchNavigator,
  setLocale,
  STORAGE_KEY,
  t,
} from '@/i18n'
import { useAuthStore } from '@/stores/auth'
import { alice, mockFetch } from '@/test-utils/fakes'
import { compareNames, sortByName } from '@/utils/collate'
import { formatAgo, formatDay } from '@/utils/time'

describe('choosing the language', () => {
  it('takes the saved one, then the stored one, then the browsers best match, then English', () => {
    expect(chooseLocale({ saved: 'ja', stored: 'ko', languages: ['zh-CN'] })).toBe('ja')
    expect(chooseLocale({ saved: '', stored: 'ko', languages: ['zh-CN'] })).toBe('ko')
    expect(chooseLocale({ saved: null, stored: 'fr', languages: ['zh-CN'] })).toBe('zh-hans')
    expect(chooseLocale({ languages: ['fr-FR', 'de'] })).toBe('en')
    expect(chooseLocale({})).toBe('en')
  })

  it('matches the browsers languages by their first part, in the browsers order', () => {
    expect(matchNavigator(['zh-TW'])).toBe('zh-hans')
    expect(matchNavigator(['zh-Hans-CN'])).toBe('zh-hans')
    expect(matchNavigator(['ko-KR', 'en-US'])).toBe('ko')
    expect(matchNavigator(['fr', 'ja-JP', 'ko'])).toBe('ja')
    expect(matchNavigator(['en-GB', 'ja'])).toBe('en')
    expect(matchNavigator(['pt-BR'])).toBe('en')
  })
})

describe('switching', () => {
  beforeEach(() => setActivePinia(createPinia()))
  afterEach(async () => {
    vi.unstubAllGlobals()
    await setLocale('en')
    localStorage.clear()
  })

  it('loads the catalogue, changes the text at once, sets <html lang> and remembers it', async () => {
    expect(t('lobby.rooms')).toBe('Rooms')
    await setLocale('ko')
    expect(currentLocale()).toBe('ko')
    expect(t('lobby.rooms')).toBe('대화방')
    expect(document.documentElement.lang).toBe('ko')
    expect(localStorage.getItem(STORAGE_KEY)).toBe('ko')
    expect(initialLocale()).toBe('ko')
    await setLocale('zh-hans')
    expect(document.documentElement.lang).toBe('zh-Hans')
    expect(t('room.members', { n: 3 }, 3)).toBe('3 位成员')
    await setLocale('en')
    expect(t('room.members', { n: 1 }, 1)).toBe('1 member')
    expect(t('room.members', { n: 3 }, 3)).toBe('3 members')
  })

  it('after sign-in the accounts saved language wins; a switch is saved on the account', async () => {
    await setLocale('ja')
    const server = mockFetch()
    server.route('POST auth/login', () => ({ user: { ...alice, is_staff: false, language: 'ko', time_zone: 'UTC' } }))
    server.route('PATCH me', () => ({ user: { ...alice, is_staff: false, language: 'zh-hans', time_zone: 'UTC' } }))
    const auth = useAuthStore()
    await auth.login('alice', 'a long enough passphrase')
    await vi.waitFor(() => expect(currentLocale()).toBe('ko'))

    await auth.chooseLanguage('zh-hans')
    expect(currentLocale()).toBe('zh-hans')
    expect(server.callsTo('PATCH me').map((c) => c.body)).toEqual([{ language: 'zh-hans' }])
  })

  it('a new account keeps the language it joined in (saved on the account)', async () => {
    await setLocale('ko')
    const server = mockFetch()
    server.route('POST auth/register', () => ({ user: { ...alice, is_staff: false, language: 'en', time_zone: 'UTC' } }))
    server.route('PATCH me', () => ({ user: { ...alice, is_staff: false, language: 'ko', time_zone: 'UTC' } }))
    await useAuthStore().register('alice', 'a long enough passphrase')
    await vi.waitFor(() => expect(server.callsTo('PATCH me').map((c) => c.body)).toEqual([{ language: 'ko' }]))
    expect(currentLocale()).toBe('ko')
  })

  it('sends the language with every request', async () => {
    await setLocale('ja')
    const server = mockFetch()
    server.route('GET me', () => ({ user: { ...alice, is_staff: false, language: 'ja', time_zone: 'UTC' } }))
    await useAuthStore().init()
    const headers = server.fn.mock.calls.map(([input, init]) =>
      input instanceof Request ? input.headers : new Headers((init as RequestInit | undefined)?.headers),
    )
    expect(headers.length).toBeGreaterThan(0)
    for (const h of headers) expect(h.get('Accept-Language')).toBe('ja')
  })

  it('formats days and ages in the language', async () => {
    const now = new Date('2030-01-10T12:00:00Z')
    await setLocale('ja')
    expect(formatDay('2030-01-10T11:00:00Z', now)).toBe('今日')
    expect(formatAgo('2030-01-10T11:55:00Z', now.getTime())).toBe('5 分前')
    await setLocale('ko')
    expect(formatAgo('2030-01-10T09:00:00Z', now.getTime())).toBe('3시간 전')
    expect(i18n.global.locale.value).toBe('ko')
  })
})

describe('sorting names', () => {
  afterEach(() => setLocale('en'))

  it('follows the languages collation', async () => {
    const names = ['张伟', '王芳', '李雷']
    // Pinyin order in Chinese: li, wang, zhang.
    expect(sortByName(names, (n) => n, 'zh-Hans')).toEqual(['李雷', '王芳', '张伟'])
    expect(sortByName(['하늘', '가람', '나비'], (n) => n, 'ko')).toEqual(['가람', '나비', '하늘'])
    expect(sortByName(['さくら', 'あおい', 'かえで'], (n) => n, 'ja')).toEqual(['あおい', 'かえで', 'さくら'])
    // Case and accents do not split a list; numbers sort as numbers.
    expect(sortByName(['bob', 'Émile', 'alice', 'room 10', 'room 9'], (n) => n, 'en')).toEqual([
      'alice',
      'bob',
      'Émile',
      'room 9',
      'room 10',
    ])
  })

  it('uses the current UI language when none is given', async () => {
    await setLocale('zh-hans')
    expect(compareNames('李雷', '张伟')).toBeLessThan(0)
    expect(['张伟', '李雷'].sort(compareNames)).toEqual(['李雷', '张伟'])
  })
})
