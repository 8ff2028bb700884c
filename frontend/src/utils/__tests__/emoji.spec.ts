import { describe, expect, it } from 'vitest'
import { searchEmoji, toEntries } from '@/utils/emoji'

// The shape of emojibase-data's en/compact.json entries.
const data = [
  { unicode: '😂', label: 'face with tears of joy', tags: ['face', 'joy', 'laugh', 'tear'], group: 0, order: 3, hexcode: '1F602' },
  { unicode: '👍', label: 'thumbs up', tags: ['+1', 'hand', 'thumb', 'up'], group: 1, order: 200, hexcode: '1F44D' },
  { unicode: '🏻', label: 'light skin tone', tags: ['skin tone'], group: 2, order: 300, hexcode: '1F3FB' },
  { unicode: '🐈', label: 'cat', tags: ['pet'], group: 3, order: 100, hexcode: '1F408' },
  { unicode: '🇦', label: 'regional indicator A', hexcode: '1F1E6' },
]

describe('emoji search', () => {
  const all = toEntries(data)

  it('keeps Unicode order and leaves out skin-tone swatches and flag letters', () => {
    expect(all.map((e) => e.emoji)).toEqual(['😂', '🐈', '👍'])
  })

  it('matches label words, tags and prefixes, exact names first', () => {
    expect(searchEmoji(all, 'cat').map((e) => e.emoji)).toEqual(['🐈'])
    expect(searchEmoji(all, 'thu').map((e) => e.emoji)).toEqual(['👍'])
    expect(searchEmoji(all, 'LAUGH').map((e) => e.emoji)).toEqual(['😂'])
    expect(searchEmoji(all, 'thumbs up').map((e) => e.emoji)).toEqual(['👍'])
    expect(searchEmoji(all, 'zebra')).toEqual([])
    expect(searchEmoji(all, '')).toHaveLength(3)
  })
})
