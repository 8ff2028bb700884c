/**
 * @mentions in plain text, as the server finds them (parley/messaging/services.py,
 * MENTION_RE): an @ not preceded by a word character, a dot, an @ or a hyphen,
 * then a name of up to 30 letters, digits, dots, underscores or hyphens.
 */
export type MentionSegment = { kind: 'text'; text: string } | { kind: 'mention'; text: string; name: string }

const MENTION_RE = /(?<![\w.@-])@([A-Za-z0-9][A-Za-z0-9._-]{0,29})/g

/** Split text into plain runs and @name runs (rendered as text nodes, never HTML). */
export function mentionSegments(text: string): MentionSegment[] {
  const out: MentionSegment[] = []
  let last = 0
  for (const m of text.matchAll(MENTION_RE)) {
    const start = m.index ?? 0
    if (start > last) out.push({ kind: 'text', text: text.slice(last, start) })
    out.push({ kind: 'mention', text: m[0], name: m[1]!.toLowerCase() })
    last = start + m[0].length
  }
  if (last < text.length) out.push({ kind: 'text', text: text.slice(last) })
  return out
}

/**
 * The @query being typed just before the caret, if any: `{ start, query }`
 * where `start` is the index of the @. "mail me at a@b" is not a mention.
 */
export function mentionQuery(text: string, caret: number): { start: number; query: string } | null {
  const before = text.slice(0, caret)
  const m = /(?:^|[^\w.@-])@([A-Za-z0-9._-]{0,30})$/.exec(before)
  if (!m) return null
  const query = m[1]!
  return { start: caret - query.length - 1, query }
}
