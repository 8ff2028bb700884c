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
    for (const body of ['a/www.example.org', 'cdn.www.example.org', 'awww.example.org', 'x-www.example.org']) {
      expect(linkify(body).every((s) => s.kind === 'text'), body).toBe(true)
    }
    // an address on a www. host is an address, not a web link
    expect(linkify('mail me@www.example.org')).toEqual([{ kind: 'text', text: 'mail ' }, link('me@www.example.org', 'mailto:me@www.example.org')])
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

/** [body, the linked text (or null: nothing is linked), the href]. */
type Case = [string, string | null, string?]

function firstLink(body: string): [string, string] | null {
  const seg = linkify(body).find((s) => s.kind === 'link')
  return seg && seg.kind === 'link' ? [seg.text, seg.href] : null
}

function check(cases: Case[]): void {
  for (const [body, text, href] of cases) {
    const got = firstLink(body)
    if (text === null) expect(got, body).toBeNull()
    else expect(got, body).toEqual([text, href ?? text])
    // whatever is linked, the segments put the body back together exactly
    expect(linkify(body).map((s) => s.text).join(''), body).toBe(body)
  }
}

describe('linkify: where a URL ends in Chinese, Japanese and Korean text', () => {
  it('stops at fullwidth and CJK punctuation', () => {
    check([
      ['https://example.com，好的', 'https://example.com', 'https://example.com/'],
      ['看看https://example.com/a。谢谢', 'https://example.com/a'],
      ['链接：https://example.com/x、还有这个', 'https://example.com/x'],
      ['https://example.com/path！太好了', 'https://example.com/path'],
      ['真的吗？https://example.com/q?a=1？', 'https://example.com/q?a=1'],
      ['https://example.com/a；https://example.com/b', 'https://example.com/a'],
      ['地址：https://example.com：8080', 'https://example.com', 'https://example.com/'],
      ['「https://example.com/jp」を見て', 'https://example.com/jp'],
      ['『https://example.com/x』', 'https://example.com/x'],
      ['（https://example.com/cn）', 'https://example.com/cn'],
      ['【公告】https://example.com/n【完】', 'https://example.com/n'],
      ['https://example.com/a…后面', 'https://example.com/a'],
      ['https://example.com/a〜b', 'https://example.com/a'],
      ['https://example.com/a｡ok', 'https://example.com/a'],
      ['“https://example.com/q”', 'https://example.com/q'],
      ['https://example.com/a\u3000全角空格', 'https://example.com/a'],
    ])
  })

  it('keeps letters of any script in a path', () => {
    check([
      ['https://zh.wikipedia.org/wiki/中文 好', 'https://zh.wikipedia.org/wiki/中文', 'https://zh.wikipedia.org/wiki/%E4%B8%AD%E6%96%87'],
      ['https://ko.wikipedia.org/wiki/한국어', 'https://ko.wikipedia.org/wiki/한국어', 'https://ko.wikipedia.org/wiki/%ED%95%9C%EA%B5%AD%EC%96%B4'],
      ['https://ja.wikipedia.org/wiki/日本語。', 'https://ja.wikipedia.org/wiki/日本語', 'https://ja.wikipedia.org/wiki/%E6%97%A5%E6%9C%AC%E8%AA%9E'],
    ])
  })

  it('ends an ASCII host where a Korean or Japanese word is glued to it', () => {
    check([
      ['https://example.com에서 확인하세요', 'https://example.com', 'https://example.com/'],
      ['www.example.com을 보세요', 'www.example.com', 'https://www.example.com/'],
      ['https://example.comを見てください', 'https://example.com', 'https://example.com/'],
      ['https://example.com:8080에서', 'https://example.com:8080', 'https://example.com:8080/'],
      ['https://example.com/docs에서', 'https://example.com/docs에서', 'https://example.com/docs%EC%97%90%EC%84%9C'],
      ['자세한 내용은 https://example.com/a. 감사합니다', 'https://example.com/a'],
    ])
  })
})

describe('linkify: ASCII punctuation and brackets', () => {
  it('drops trailing sentence punctuation, keeps what is inside the URL', () => {
    check([
      ['see https://example.com.', 'https://example.com', 'https://example.com/'],
      ['see https://example.com...', 'https://example.com', 'https://example.com/'],
      ['https://example.com/a.html!', 'https://example.com/a.html'],
      ['https://example.com/?q=a,b;c', 'https://example.com/?q=a,b;c'],
      ['is it https://example.com/x?', 'https://example.com/x'],
      ['https://example.com/v1.2.3, ok', 'https://example.com/v1.2.3'],
      ["'https://example.com/q'", 'https://example.com/q'],
      ['https://example.com/#frag:', 'https://example.com/#frag'],
    ])
  })

  it('keeps balanced parentheses and drops unbalanced ones', () => {
    check([
      ['(see https://example.com/x)', 'https://example.com/x'],
      ['https://en.wikipedia.org/wiki/Foo_(bar)', 'https://en.wikipedia.org/wiki/Foo_(bar)'],
      ['(https://en.wikipedia.org/wiki/Foo_(bar)).', 'https://en.wikipedia.org/wiki/Foo_(bar)'],
      ['[https://example.com/x]', 'https://example.com/x'],
      ['{https://example.com/x}', 'https://example.com/x'],
    ])
  })

  it('never links what is not a web or mail address', () => {
    check([
      ['javascript:alert(1)', null],
      ['https://，', null],
      ['http://。', null],
      ['ftp://example.com', null],
      ['file:///etc/passwd', null],
      ['version 1.2.3', null],
      ['@alice hello', null],
    ])
  })
})

describe('linkify: e-mail addresses', () => {
  it('links an address as mailto and stops at punctuation', () => {
    check([
      ['write to alice@example.com', 'alice@example.com', 'mailto:alice@example.com'],
      ['alice@example.com，谢谢', 'alice@example.com', 'mailto:alice@example.com'],
      ['alice@example.com。', 'alice@example.com', 'mailto:alice@example.com'],
      ['mail a.b+tag@mail.example.co.uk.', 'a.b+tag@mail.example.co.uk', 'mailto:a.b+tag@mail.example.co.uk'],
      ['alice@example.comへ送って', 'alice@example.com', 'mailto:alice@example.com'],
      ['(bob@example.org)', 'bob@example.org', 'mailto:bob@example.org'],
    ])
  })

  it('leaves mentions and half addresses alone', () => {
    check([
      ['@alice look', null],
      ['alice@localhost', null],
      ['alice@', null],
      ['a@b.c', null],
    ])
  })
})
