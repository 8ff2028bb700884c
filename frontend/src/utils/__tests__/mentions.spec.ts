import { describe, expect, it } from 'vitest'
import { mentionQuery, mentionSegments } from '@/utils/mentions'

describe('mentions', () => {
  it('splits @names out of text as the server finds them', () => {
    expect(mentionSegments('hi @Bob and @room, mail a@b.c')).toEqual([
      { kind: 'text', text: 'hi ' },
      { kind: 'mention', text: '@Bob', name: 'bob' },
      { kind: 'text', text: ' and ' },
      { kind: 'mention', text: '@room', name: 'room' },
      { kind: 'text', text: ', mail a@b.c' },
    ])
  })

  it('finds the @query being typed before the caret, and not inside an address', () => {
    expect(mentionQuery('hello @bo', 9)).toEqual({ start: 6, query: 'bo' })
    expect(mentionQuery('@', 1)).toEqual({ start: 0, query: '' })
    expect(mentionQuery('你好 @', 4)).toEqual({ start: 3, query: '' })
    expect(mentionQuery('mail a@b', 8)).toBeNull()
    expect(mentionQuery('@bob hi', 7)).toBeNull()
  })
})
