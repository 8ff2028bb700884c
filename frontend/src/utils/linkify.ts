/**
 * Split a plain-text body into text and http(s) link segments. The result is
 * rendered as text nodes and <a> elements: never as HTML. A bare "www." host
 * (www.example.org/path) is linked as https.
 */
export type Segment = { kind: 'text'; text: string } | { kind: 'link'; text: string; href: string }

// A "www." host counts only at the start of a word that is not part of an
// address, a path or a longer host (user@www.x, /www.x, a.www.x stay text).
const URL_RE = /\bhttps?:\/\/[^\s<>"'`]+|(?<![\w.@/:-])www\.[^\s<>"'`]+/gi
const BARE_WWW_RE = /^www\.[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}(?=$|[/?#:])/i
const TRAILING = '.,;:!?\'")]}>'

/** Drop sentence punctuation after a URL, but keep a ")" that closes a "(" inside it. */
function trimUrl(raw: string): string {
  let url = raw
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

function safeHref(text: string): string | null {
  try {
    const u = new URL(text)
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return null
    return u.href
  } catch {
    return null
  }
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
    const url = trimUrl(m[0])
    const href = /^https?:\/\/[^/?#\s]+/i.test(url)
      ? safeHref(url)
      : BARE_WWW_RE.test(url)
        ? safeHref('https://' + url)
        : null
    if (!href) continue
    push(body.slice(last, start))
    out.push({ kind: 'link', text: url, href })
    last = start + url.length
  }
  push(body.slice(last))
  return out
}
