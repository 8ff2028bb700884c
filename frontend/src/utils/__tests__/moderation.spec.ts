import { describe, expect, it } from 'vitest'
import { age, categoryLabel, MUTE_CHOICES, muteLeft, mutedSentence } from '../moderation'

describe('mutes', () => {
  it('offers the four lengths, the last without an end', () => {
    expect(MUTE_CHOICES.map((c) => c.seconds)).toEqual([600, 3600, 86400, null])
  })

  it('says when a mute ends, or that it lasts until lifted', () => {
    expect(mutedSentence(null)).toMatch(/until the owner or staff lift it/)
    const s = mutedSentence('2030-01-02T03:04:00Z')
    expect(s).toMatch(/^You are muted in this room until .*2030/)
  })

  it('counts down to the end and stops at zero', () => {
    const now = Date.parse('2030-01-01T00:00:00Z')
    expect(muteLeft('2030-01-01T00:01:00Z', now)).toBe(60_000)
    expect(muteLeft('2029-12-31T23:00:00Z', now)).toBe(0)
    expect(muteLeft(null, now)).toBeNull()
  })
})

describe('reports', () => {
  it('words the age of a report', () => {
    const now = Date.parse('2030-01-10T00:00:00Z')
    expect(age('2030-01-09T23:59:30Z', now)).toBe('just now')
    expect(age('2030-01-09T23:55:00Z', now)).toBe('5 min. ago')
    expect(age('2030-01-09T21:00:00Z', now)).toBe('3 hr. ago')
    expect(age('2030-01-09T00:00:00Z', now)).toBe('yesterday')
    expect(age('2030-01-07T00:00:00Z', now)).toBe('3 days ago')
  })

  it('names the categories', () => {
    expect(categoryLabel('spam')).toBe('Spam or advertising')
    expect(categoryLabel('unknown')).toBe('unknown')
  })
})
