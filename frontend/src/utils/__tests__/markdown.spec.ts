import { describe, expect, it } from 'vitest'
import { allowedHref, markdownTree, type MdNode } from '@/utils/markdown'

const text = (t: string): MdNode => ({ t: 'text', text: t })
const p = (...children: MdNode[]): MdNode => ({ t: 'el', tag: 'p', children })
const el = (tag: 'ul' | 'ol' | 'li' | 'blockquote' | 'em' | 'strong' | 's', ...children: MdNode[]): MdNode => ({ t: 'el', tag, children })

/** Every element tag in a tree, to show nothing outside the fixed list can appear. */
function tags(nodes: MdNode[]): string[] {
  return nodes.flatMap((n) => {
    if (n.t === 'el') return [n.tag, ...tags(n.children)]
    if (n.t === 'link') return ['a', ...tags(n.children)]
    if (n.t === 'mention') return ['span']
    if (n.t === 'code') return ['code']
    if (n.t === 'fence') return ['pre']
    return []
  })
}

function links(nodes: MdNode[]): string[] {
  return nodes.flatMap((n) => (n.t === 'link' ? [n.href, ...links(n.children)] : 'children' in n ? links(n.children) : []))
}

describe('markdownTree: chat Markdown', () => {
  it('renders plain text as one paragraph', () => {
    expect(markdownTree('hello world')).toEqual([p(text('hello world'))])
  })

  it('renders bold, italic, strike and inline code', () => {
    expect(markdownTree('**b** *i* _i_ ~~s~~ `c <b>`')).toEqual([
      p(el('strong', text('b')), text(' '), el('em', text('i')), text(' '), el('em', text('i')), text(' '), el('s', text('s')), text(' '), { t: 'code', text: 'c <b>' }),
    ])
  })

  it('keeps line breaks as written', () => {
    expect(markdownTree('one\ntwo')).toEqual([p(text('one\ntwo'))])
    expect(markdownTree('**one**\ntwo  \nthree')).toEqual([p(el('strong', text('one')), text('\ntwo\nthree'))])
    expect(markdownTree('one\n\ntwo')).toEqual([p(text('one')), p(text('two'))])
  })

  it('renders a fenced code block with its language, untouched', () => {
    expect(markdownTree('```py\nif a < b:\n    print("<script>")\n```')).toEqual([{ t: 'fence', lang: 'py', text: 'if a < b:\n    print("<script>")' }])
    expect(markdownTree('```\n**not bold** https://x.org\n```')).toEqual([{ t: 'fence', lang: '', text: '**not bold** https://x.org' }])
  })

  it('renders quotes and lists (tight lists without paragraphs)', () => {
    expect(markdownTree('> quoted\n\n- a\n- b')).toEqual([el('blockquote', p(text('quoted'))), el('ul', el('li', text('a')), el('li', text('b')))])
    expect(markdownTree('3. c\n4. d')).toEqual([{ t: 'el', tag: 'ol', start: 3, children: [el('li', text('c')), el('li', text('d'))] }])
    expect(markdownTree('1. a\n2. b')).toEqual([el('ol', el('li', text('a')), el('li', text('b')))])
  })

  it('does not make headings, rules, tables, images or indented code', () => {
    const body = '# not a heading\n\n---\n\n| a | b |\n|---|---|\n\n![img](https://x.org/a.png)\n\n    not code'
    const tree = markdownTree(body)
    expect(tags(tree).filter((t) => t !== 'p' && t !== 'a')).toEqual([])
    expect(JSON.stringify(tree)).toContain('# not a heading')
  })

  it('shows HTML and entities as typed', () => {
    expect(markdownTree('<b>hi</b> &lt;x&gt; <script>alert(1)</script>')).toEqual([p(text('<b>hi</b> &lt;x&gt; <script>alert(1)</script>'))])
    const block = markdownTree('<div onclick="x()">\n\nblock\n</div>')
    expect(tags(block)).toEqual(['p', 'p'])
    expect(JSON.stringify(block)).toContain('<div onclick=\\"x()\\">')
  })

  it('lets a backslash escape Markdown', () => {
    expect(markdownTree('\\*not italic\\*')).toEqual([p(text('*not italic*'))])
  })
})

describe('markdownTree: links', () => {
  it('links [text](url) and <url> for http, https and mailto only', () => {
    expect(markdownTree('[docs](https://example.com/d)')).toEqual([p({ t: 'link', href: 'https://example.com/d', children: [text('docs')] })])
    expect(links(markdownTree('<https://example.com> <mailto:a@example.com> <a@example.com>'))).toEqual([
      'https://example.com/',
      'mailto:a@example.com',
      'mailto:a@example.com',
    ])
  })

  it('refuses every other scheme and leaves the text as typed', () => {
    for (const body of [
      '[x](javascript:alert(1))',
      '[x](JaVaScRiPt:alert(1))',
      '[x](java\nscript:alert(1))',
      '[x]( javascript:alert(1))',
      '[x](&#106;avascript:alert(1))',
      '[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)',
      '[x](vbscript:msgbox(1))',
      '[x](file:///etc/passwd)',
      '[x](/relative)',
      '[x](//evil.test/x)',
      '<javascript:alert(1)>',
      '<data:text/html,<script>alert(1)</script>>',
    ]) {
      const tree = markdownTree(body)
      expect(links(tree), body).toEqual([])
      expect(tags(tree).includes('a'), body).toBe(false)
    }
  })

  it('autolinks bare URLs outside code and links, CJK-aware', () => {
    expect(markdownTree('**https://example.com，好的**')).toEqual([
      p(el('strong', { t: 'link', href: 'https://example.com/', children: [text('https://example.com')] }, text('，好的'))),
    ])
    expect(links(markdownTree('`https://example.com` and\n```\nhttps://example.com\n```'))).toEqual([])
    expect(links(markdownTree('[see https://a.example](https://b.example)'))).toEqual(['https://b.example/'])
  })

  it('a link whose text is an address does not nest another link', () => {
    const tree = markdownTree('[https://a.example/x](https://a.example/x)')
    expect(tags(tree)).toEqual(['p', 'a'])
  })
})

describe('markdownTree: mentions', () => {
  it('marks @names in text, not in code or links', () => {
    expect(markdownTree('hi @alice, *@Bob*')).toEqual([
      p(text('hi '), { t: 'mention', text: '@alice', name: 'alice' }, text(', '), el('em', { t: 'mention', text: '@Bob', name: 'bob' })),
    ])
    expect(tags(markdownTree('`@alice` [@bob](https://x.example)'))).toEqual(['p', 'code', 'a'])
    expect(tags(markdownTree('mail me@example.com'))).toEqual(['p', 'a'])
  })
})

describe('allowedHref', () => {
  it('allows http, https and mailto', () => {
    expect(allowedHref('https://example.com/a')).toBe('https://example.com/a')
    expect(allowedHref('HTTP://EXAMPLE.COM')).toBe('http://example.com/')
    expect(allowedHref('mailto:a@b.example')).toBe('mailto:a@b.example')
  })

  it('refuses everything else', () => {
    for (const url of ['javascript:alert(1)', ' javascript:x', 'data:text/html,x', 'blob:https://x/y', 'mailto:', 'https://', '/x', 'x']) {
      expect(allowedHref(url), url).toBeNull()
    }
  })
})

describe('markdownTree: limits', () => {
  it('handles deep nesting and long bodies without blowing up', () => {
    const deep = '>'.repeat(200) + ' x'
    expect(() => markdownTree(deep)).not.toThrow()
    const stars = '*'.repeat(4000)
    expect(() => markdownTree(stars)).not.toThrow()
    const brackets = '['.repeat(2000) + ']('.repeat(1000)
    expect(() => markdownTree(brackets)).not.toThrow()
  })
})
