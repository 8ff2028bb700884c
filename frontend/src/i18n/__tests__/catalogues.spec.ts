/**
 * The catalogues against English and against the code: the same keys everywhere, no empty
 * text, the same `{placeholders}`, the right number of plural forms, messages that
 * compile, and every key the code names present (and every key used).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { baseCompile } from '@intlify/message-compiler'
import { describe, expect, it } from 'vitest'
import en from '../locales/en.json'
import { LOCALES } from '../languages.gen'
import { AVATAR_COLOURS } from '@/utils/avatar'

type Tree = { [key: string]: string | Tree }

function flatten(tree: Tree, prefix = ''): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(tree)) {
    if (typeof v === 'string') out[prefix + k] = v
    else Object.assign(out, flatten(v, `${prefix}${k}.`))
  }
  return out
}

const EN = flatten(en as Tree)
// Every catalogue on disk, by language code (`../locales/zh-hans.json` → `zh-hans`).
const FILES = import.meta.glob<Tree>('../locales/*.json', { eager: true, import: 'default' })
const CATALOGUES = Object.fromEntries(
  Object.entries(FILES).map(([path, tree]) => [path.replace(/^.*\/(.+)\.json$/, '$1'), tree]),
)
const OTHERS: Record<string, Record<string, string>> = Object.fromEntries(
  LOCALES.filter((code) => code !== 'en').map((code) => [code, flatten(CATALOGUES[code] ?? {})]),
)

const placeholders = (msg: string) => [...new Set([...msg.matchAll(/\{(\w+)\}/g)].map((m) => m[1]))].sort()
const forms = (msg: string) => msg.split(' | ')

describe('catalogues', () => {
  it('there is one for each language of the server and no other', () => {
    expect(Object.keys(CATALOGUES).sort()).toEqual([...LOCALES].sort())
  })

  it('English has keys, none empty, every message compiles', () => {
    expect(Object.keys(EN).length).toBeGreaterThan(300)
    for (const [key, msg] of Object.entries(EN)) {
      expect(msg.trim(), key).not.toBe('')
      const errors: string[] = []
      baseCompile(msg, { onError: (e) => errors.push(e.message) })
      expect(errors, `${key}: ${msg}`).toEqual([])
    }
  })

  for (const [code, cat] of Object.entries(OTHERS)) {
    describe(code, () => {
      it("has exactly English's keys", () => {
        const missing = Object.keys(EN).filter((k) => !(k in cat))
        const extra = Object.keys(cat).filter((k) => !(k in EN))
        expect({ missing, extra }).toEqual({ missing: [], extra: [] })
      })

      it('has no empty text and the same placeholders per key', () => {
        for (const [key, msg] of Object.entries(cat)) {
          expect(msg.trim(), `${code} ${key}`).not.toBe('')
          expect(placeholders(msg), `${code} ${key}: ${msg}`).toEqual(placeholders(EN[key] ?? ''))
        }
      })

      it('has one form for every plural (no plural inflection), and messages that compile', () => {
        for (const [key, msg] of Object.entries(cat)) {
          const en = EN[key] ?? ''
          expect(forms(en).length, `en ${key}`).toBeLessThanOrEqual(2)
          expect(forms(msg).length, `${code} ${key}: ${msg}`).toBe(1)
          const errors: string[] = []
          baseCompile(msg, { onError: (e) => errors.push(e.message) })
          expect(errors, `${code} ${key}: ${msg}`).toEqual([])
        }
      })

      it('is written in its own script (no English sentence left untranslated)', () => {
        // Keys whose text is the same in every language: technical words and names.
        const same = new Set(['webhooks.url', 'common.listSeparator', 'stats.roomTextSeparator'])
        const untranslated = Object.keys(cat).filter((k) => !same.has(k) && cat[k] === EN[k] && /[a-z]{3}/i.test(EN[k] ?? ''))
        expect(untranslated).toEqual([])
      })
    })
  }
})

/** Every `.ts` and `.vue` file of the client except tests and generated code. */
function sources(dir: string): string[] {
  const out: string[] = []
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) {
      if (name !== '__tests__' && name !== '__fixtures__' && name !== 'test-utils') out.push(...sources(path))
    } else if (/\.(ts|vue)$/.test(name) && !name.endsWith('.gen.ts')) out.push(path)
  }
  return out
}

describe('the code and the catalogue', () => {
  const root = join(__dirname, '..', '..')
  const text = sources(root)
    .map((f) => readFileSync(f, 'utf8'))
    .join('\n')
  const namespaces = new Set(Object.keys(en))
  // Every key the code asks for by name: t('…'), <i18n-t keypath="…">.
  const asked = new Set([
    ...[...text.matchAll(/\bt\(\s*'([^']+)'/g)].map((m) => m[1]!),
    ...[...text.matchAll(/\bkeypath="([^"']+)"/g)].map((m) => m[1]!),
    ...[...text.matchAll(/:keypath="[^"]*"/g)].flatMap((m) => [...m[0].matchAll(/'([^']+)'/g)].map((q) => q[1]!)),
  ])
  // And the keys kept in tables (menus, routes, choices): any quoted 'namespace.key'.
  const named = new Set([
    ...asked,
    ...[...text.matchAll(/'([a-zA-Z]+(?:\.[a-zA-Z0-9]+)+)'/g)].map((m) => m[1]!).filter((k) => namespaces.has(k.split('.')[0]!)),
  ])

  it('asks only for keys that exist', () => {
    expect(asked.size).toBeGreaterThan(300)
    expect([...asked].filter((k) => !(k in EN))).toEqual([])
  })

  it('uses every key (no dead text to translate)', () => {
    const dynamic = Object.values(AVATAR_COLOURS).map((c) => `colour.${c.name}`)
    const used = new Set([...named, ...dynamic])
    expect(Object.keys(EN).filter((k) => !used.has(k))).toEqual([])
  })
})
