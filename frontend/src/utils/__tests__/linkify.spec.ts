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

describe('linkify: bare www. hosts', () => {
  const link = (text: string, href: string) => ({ kind: 'link', text, href })

  it('links a bare www. host as https, keeping the text as written', () => {
    expect(linkify('see www.example.org')).toEqual([{ kind: 'text', text: 'see ' }, link('www.example.org', 'https://www.example.org/')])
    expect(linkify('WWW.Example.org/a?b=1#c')).toEqual([link('WWW.Example.org/a?b=1#c', 'https://www.example.org/a?b=1#c')])
  })

  it('leaves sentence punctuation and brackets around it as text', () => {
    expect(linkify('(www.example.org/docs), then www.x.co.uk.')).toEqual([
      { kind: 'text', text: '(' },
      link('www.example.org/docs', 'https://www.example.org/docs'),
      { kind: 'text', text: '), then ' },
      link('www.x.co.uk', 'https://www.x.co.uk/'),
      { kind: 'text', text: '.' },
    ])
  })

  it('keeps a port and a path', () => {
    expect(linkify('www.example.org:8080/x')).toEqual([link('www.example.org:8080/x', 'https://www.example.org:8080/x')])
  })

  it('does not link www. inside an address, a path, another host or a word', () => {
    for (const body of ['mail me@www.example.org', 'a/www.example.org', 'cdn.www.example.org', 'awww.example.org', 'x-www.example.org']) {
      expect(linkify(body).every((s) => s.kind === 'text'), body).toBe(true)
    }
  })

  it('needs a real host name after www.', () => {
    for (const body of ['www.', 'www..org', 'www.example', 'www.-', 'www.example.1', 'www.<b>x.org</b>', 'www."x.org']) {
      expect(linkify(body).every((s) => s.kind === 'text'), body).toBe(true)
    }
  })

  it('links an https URL that starts with www. once, as written', () => {
    expect(linkify('https://www.example.org/')).toEqual([link('https://www.example.org/', 'https://www.example.org/')])
  })

  it('keeps HTML and script text around a www. link as text', () => {
    const segs = linkify('<a href="x">www.example.org</a> javascript:alert(1)')
    expect(segs).toEqual([
      { kind: 'text', text: '<a href="x">' },
      link('www.example.org', 'https://www.example.org/'),
      { kind: 'text', text: '</a> javascript:alert(1)' },
    ])
  })
})
