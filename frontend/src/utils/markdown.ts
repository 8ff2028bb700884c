/**
 * Message Markdown: the body (stored as written) parsed into a small tree of
 * safe nodes, which `MessageMarkdown.vue` turns into VNodes. This is the only
 * path from a body to the DOM.
 *
 * Safe by construction: markdown-it runs with `html: false` and only the chat
 * rules enabled, and its tokens are never rendered to an HTML string. Each
 * token is mapped to a node whose element, if any, comes from a fixed list
 * (`Tag`); text stays text (Vue makes it a text node). A link keeps its href
 * only if it is http(s) or mailto, checked when parsing and again here. Tokens
 * of any other kind are shown as their source text.
 *
 * Chat, not documents: bold, italic, strike, inline code, fenced code, quotes,
 * lists and links. No headings, images, tables, rules, reference definitions
 * or indented code (four spaces in a chat line are rarely meant as code), and
 * no HTML entities ("&lt;" reads as typed). Line breaks are kept as written.
 * Bare URLs and addresses are found by `linkify` (CJK-aware), @names by
 * `mentionSegments`, in text outside code and links.
 */
import MarkdownIt, { type Token } from 'markdown-it'
import { linkify } from '@/utils/linkify'
import { mentionSegments } from '@/utils/mentions'

export type Tag = 'p' | 'ul' | 'ol' | 'li' | 'blockquote' | 'em' | 'strong' | 's'

export type MdNode =
  | { t: 'text'; text: string }
  | { t: 'mention'; text: string; name: string }
  | { t: 'link'; href: string; children: MdNode[] }
  | { t: 'code'; text: string }
  | { t: 'fence'; lang: string; text: string }
  | { t: 'el'; tag: Tag; start?: number; children: MdNode[] }

const TAGS: Record<string, Tag> = {
  paragraph_open: 'p',
  bullet_list_open: 'ul',
  ordered_list_open: 'ol',
  list_item_open: 'li',
  blockquote_open: 'blockquote',
  em_open: 'em',
  strong_open: 'strong',
  s_open: 's',
}

/** http(s) and mailto only; everything else (javascript:, data:, vbscript:, file:, relative) is refused. */
export function allowedHref(url: string): string | null {
  try {
    const u = new URL(url)
    if (u.protocol === 'http:' || u.protocol === 'https:') return u.hostname ? u.href : null
    if (u.protocol === 'mailto:') return u.pathname ? u.href : null
    return null
  } catch {
    return null
  }
}

const md = new MarkdownIt('zero', { html: false, linkify: false, typographer: false })
md.enable([
  'fence',
  'blockquote',
  'list',
  'newline',
  'escape',
  'backticks',
  'strikethrough',
  'emphasis',
  'link',
  'autolink',
])
md.validateLink = (url: string) => allowedHref(url) !== null

/** The body as a tree of safe nodes. */
export function markdownTree(body: string): MdNode[] {
  return build(md.parse(body, {}), false)
}

type Frame = { tag: Tag | null; href: string | null; start?: number; children: MdNode[] }

function build(tokens: Token[], inLink: boolean): MdNode[] {
  const root: Frame = { tag: null, href: null, children: [] }
  const stack: Frame[] = [root]
  let linkDepth = inLink ? 1 : 0
  const top = () => stack[stack.length - 1]!
  for (const tok of tokens) {
    if (tok.nesting === 1) {
      if (tok.type === 'link_open') {
        const href = allowedHref(String(tok.attrGet('href') ?? ''))
        stack.push({ tag: null, href, children: [] })
        linkDepth++
      } else {
        // A paragraph inside a tight list is hidden: its text goes straight into the item.
        const tag = tok.hidden ? null : (TAGS[tok.type] ?? null)
        const start = tok.type === 'ordered_list_open' ? Number(tok.attrGet('start') ?? 1) : undefined
        stack.push({ tag, href: null, start: start && start !== 1 && Number.isSafeInteger(start) ? start : undefined, children: [] })
      }
      continue
    }
    if (tok.nesting === -1) {
      const frame = stack.length > 1 ? stack.pop()! : root
      if (tok.type === 'link_close') linkDepth--
      const parent = top()
      if (frame.href !== null) parent.children.push({ t: 'link', href: frame.href, children: frame.children })
      else if (frame.tag !== null) {
        const el: MdNode = { t: 'el', tag: frame.tag, children: frame.children }
        if (frame.start !== undefined) el.start = frame.start
        parent.children.push(el)
      } else append(parent.children, frame.children) // a hidden paragraph, a refused link
      continue
    }
    const out = top().children
    switch (tok.type) {
      case 'inline':
        append(out, build(tok.children ?? [], linkDepth > 0))
        break
      case 'text':
        if (linkDepth > 0) pushText(out, tok.content)
        else append(out, autolink(tok.content))
        break
      case 'code_inline':
        out.push({ t: 'code', text: tok.content })
        break
      case 'fence':
        out.push({ t: 'fence', lang: (tok.info.trim().split(/\s+/)[0] ?? '').toLowerCase(), text: tok.content.replace(/\n$/, '') })
        break
      case 'softbreak':
      case 'hardbreak':
        // A newline in the text: the body is shown with white-space: pre-wrap, and its
        // text (copy, search in page) keeps the line breaks as typed.
        pushText(out, '\n')
        break
      default:
        // Not expected with the rules above; shown as what was typed, never as markup.
        if (tok.content) pushText(out, tok.content)
    }
  }
  // Unclosed frames cannot happen with markdown-it's balanced tokens; flush them anyway.
  while (stack.length > 1) {
    const frame = stack.pop()!
    append(top().children, frame.children)
  }
  return root.children
}

/** Append nodes, joining adjacent text into one node. */
function append(out: MdNode[], nodes: MdNode[]): void {
  for (const n of nodes) {
    if (n.t === 'text') pushText(out, n.text)
    else out.push(n)
  }
}

function pushText(out: MdNode[], text: string): void {
  if (!text) return
  const prev = out[out.length - 1]
  if (prev && prev.t === 'text') prev.text += text
  else out.push({ t: 'text', text })
}

/** Bare URLs and addresses become links, @names mentions, the rest text. */
function autolink(text: string): MdNode[] {
  const out: MdNode[] = []
  for (const seg of linkify(text)) {
    if (seg.kind === 'link') {
      out.push({ t: 'link', href: seg.href, children: [{ t: 'text', text: seg.text }] })
      continue
    }
    for (const m of mentionSegments(seg.text)) {
      if (m.kind === 'mention') out.push({ t: 'mention', text: m.text, name: m.name })
      else pushText(out, m.text)
    }
  }
  return out
}
