import { describe, expect, it } from 'vitest'
import { linkify } from '@/utils/linkify'

describe('linkify', () => {
  it('keeps plain text as one text segment', () => {
    expect(linkify('hello world')).toEqual([{ kind: 'text', text: 'hello world' }])
  })

  it('turns http(s) URLs into links and leaves surrounding punctuation as text', () => {
    expect(linkify('see https://example.com/a?b=1, then http://x.org.')).toEqual([
      { kind: 'text', text: 'see ' },
      { kind: 'link', text: 'https://example.com/a?b=1', href: 'https://example.com/a?b=1' },
      { kind: 'text', text: ', then ' },
      { kind: 'link', text: 'http://x.org', href: 'http://x.org/' },
      { kind: 'text', text: '.' },
    ])
  })

  it('keeps a balanced closing parenthesis, drops an unbalanced one', () => {
    expect(linkify('(https://en.wikipedia.org/wiki/Foo_(bar))')[1]).toEqual({
      kind: 'link',
      text: 'https://en.wikipedia.org/wiki/Foo_(bar)',
      href: 'https://en.wikipedia.org/wiki/Foo_(bar)',
    })
  })

  it('never links other schemes', () => {
    for (const body of ['javascript:alert(1)', 'data:text/html,<b>x</b>', 'ftp://x.org', 'https://', 'http:///x']) {
      expect(linkify(body).every((s) => s.kind === 'text'), body).toBe(true)
    }
  })

  it('treats HTML as text', () => {
    const body = '<img src=x onerror=alert(1)>'
    expect(linkify(body)).toEqual([{ kind: 'text', text: body }])
  })

  it('does not swallow quotes or angle brackets into a URL', () => {
    const segs = linkify('<a href="https://evil.test/x">')
    expect(segs.find((s) => s.kind === 'link')).toEqual({ kind: 'link', text: 'https://evil.test/x', href: 'https://evil.test/x' })
  })
})
