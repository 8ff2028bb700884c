/**
 * Find bare URLs and e-mail addresses in plain text: the Markdown renderer
 * (`utils/markdown.ts`) calls it on every text run outside code and links. The
 * result is rendered as text nodes and <a> elements, never as HTML. A bare
 * "www." host (www.example.org/path) is linked as https, an address as mailto.
 *
 * Where a URL ends is the hard part. People write a URL straight into a
 * sentence, and in Chinese and Japanese the punctuation after it is fullwidth
 * with no space before it: "https://example.com，好的" must link
 * https://example.com, not a host "example.com，好的" (which the URL parser
 * would happily turn into punycode), and ".../a。谢谢" must not swallow the
 * sentence. So a URL ends at whitespace, at any CJK or fullwidth punctuation
 * (STOP_CHARS), and an ASCII host ends where a Hangul or kana particle is glued
 * to its TLD ("example.com에서", "example.comを見て"). Paths may still carry
 * non-ASCII letters (wikipedia.org/wiki/中文). Then trailing ASCII sentence
 * punctuation is dropped, keeping a ")" that closes a "(" inside the URL.
 */
export type Segment = { kind: 'text'; text: string } | { kind: 'link'; text: string; href: string }

// Never part of a bare URL: CJK symbols and punctuation (U+3000–303F: 、。「」『』【】〜…),
// fullwidth forms (U+FF00–FF65: ，！？；：（）＜＞ and the halfwidth ｡｢｣､), the ellipses
// and curly quotes (U+2018–201F, U+2025–2026), and characters HTML would treat as markup.
const STOP_CHARS = '\\s<>"\'`\\u3000-\\u303f\\uff00-\\uff65\\u2018-\\u201f\\u2025\\u2026'
const URL_RE = new RegExp(
  `\\bhttps?:\\/\\/[^${STOP_CHARS}]+` + // a scheme URL
    `|(?<![\\w.@/:-])www\\.[^${STOP_CHARS}]+` + // a bare www. host, at the start of a word
    `|(?<![\\w.@/:+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\\.[A-Za-z0-9-]+)*\\.[A-Za-z]{2,}(?![\\w@-])`, // an address
  'giu',
)
const BARE_WWW_RE = /^www\.[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}(?=$|[/?#:])/i
const EMAIL_RE = /^[A-Za-z0-9._%+-]+@/
// An ASCII host whose TLD is followed at once by a letter of another script: the
// letters are a word of the sentence ("example.com에서", "example.comを"), not the host.
const HOST_THEN_WORD_RE = /^(https?:\/\/)?[A-Za-z0-9.-]+\.[A-Za-z]{2,}(?::\d+)?(?=\P{ASCII})/u
const TRAILING = '.,;:!?\'")]}>*'

/** Cut a raw match to the URL it names (see the module comment). */
function trimUrl(raw: string): string {
  const glued = HOST_THEN_WORD_RE.exec(raw)
  let url = glued ? glued[0] : raw
  while (url.length > 0 && TRAILING.includes(url[url.length - 1]!)) {
    if (url.endsWith(')') && count(url, '(') >= count(url, ')')) break
    url = url.slice(0, -1)
  }
  return url
}

function count(s: string, ch: string): number {
  let n = 0
  for (const c of s) if (c === ch) n++
  return n
}

/** The URL's normalised href when it is http(s) with a host; null for anything else. */
export function safeHref(text: string): string | null {
  try {
    const u = new URL(text)
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return null
    if (!u.hostname) return null
    return u.href
  } catch {
    return null
  }
}

function hrefFor(url: string): string | null {
  if (/^https?:\/\/[^/?#\s]+/i.test(url)) return safeHref(url)
  if (BARE_WWW_RE.test(url)) return safeHref('https://' + url)
  if (EMAIL_RE.test(url)) return 'mailto:' + url
  return null
}

export function linkify(body: string): Segment[] {
  const out: Segment[] = []
  let last = 0
  const push = (text: string) => {
    if (!text) return
    const prev = out[out.length - 1]
    if (prev && prev.kind === 'text') prev.text += text
    else out.push({ kind: 'text', text })
  }
  for (const m of body.matchAll(URL_RE)) {
    const start = m.index ?? 0
    const url = EMAIL_RE.test(m[0]) ? m[0] : trimUrl(m[0])
    const href = hrefFor(url)
    if (!href) continue
    push(body.slice(last, start))
    out.push({ kind: 'link', text: url, href })
    last = start + url.length
  }
  push(body.slice(last))
  return out
}
