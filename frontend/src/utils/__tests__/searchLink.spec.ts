import { describe, expect, it } from 'vitest'
import { jumpTarget, resultLink, searchParams, snippet } from '../searchLink'

describe('search links', () => {
  it('open the room at the message, and read back', () => {
    const link = resultLink({ id: 42, room: 7, seq: 1234 })
    expect(link).toEqual({ name: 'room', params: { id: 7 }, query: { msg: '42', seq: '1234' } })
    expect(jumpTarget({ msg: '42', seq: '1234' })).toEqual({ id: 42, seq: 1234 })
  })

  it.each([
    [{}],
    [{ msg: '42' }],
    [{ msg: '42', seq: 'x' }],
    [{ msg: '-1', seq: '3' }],
    [{ msg: '0', seq: '3' }],
    [{ msg: ['1', '2'], seq: '3' }],
    [{ msg: '1e3', seq: '3' }],
  ])('ignore a query that does not name a message: %j', (query) => {
    expect(jumpTarget(query)).toBeNull()
  })

  it('send only the filters that are set, the end date inclusive', () => {
    expect(searchParams({ q: ' 天气 ', room: '', sender: '', after: '', before: '' })).toEqual({ q: '天气' })
    expect(searchParams({ q: 'a', room: '3', sender: '9', after: '2026-01-31', before: '2026-02-28' })).toEqual({
      q: 'a',
      room: 3,
      sender: 9,
      after: '2026-01-31',
      before: '2026-03-01',
    })
    expect(searchParams({ q: 'a', room: '', sender: '', after: '', before: '2026-12-31' }).before).toBe('2027-01-01')
  })
})

describe('snippet', () => {
  const long = (c: string, n: number): string => c.repeat(n)

  it('keeps short bodies whole', () => {
    const segs = [
      { text: 'The ', match: false },
      { text: 'Quick', match: true },
      { text: ' brown fox', match: false },
    ]
    expect(snippet(segs)).toEqual(segs)
  })

  it('trims long stretches around the matches', () => {
    const out = snippet(
      [
        { text: long('a', 300), match: false },
        { text: '天气', match: true },
        { text: long('b', 300), match: false },
        { text: '天气', match: true },
        { text: long('c', 300), match: false },
      ],
      10,
    )
    expect(out.map((s) => s.text)).toEqual([
      `…${long('a', 10)}`,
      '天气',
      `${long('b', 10)} … ${long('b', 10)}`,
      '天气',
      `${long('c', 10)}…`,
    ])
    expect(out.filter((s) => s.match)).toHaveLength(2)
  })

  it('never splits an emoji', () => {
    const out = snippet([{ text: long('😀', 50), match: false }, { text: 'x', match: true }], 3)
    expect(out[0]!.text).toBe('…😀😀😀')
  })
})
