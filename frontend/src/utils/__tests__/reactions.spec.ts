import { describe, expect, it } from 'vitest'
import { reactionLabel, whoReacted } from '@/utils/reactions'

const u = (id: number, display_name: string) => ({ id, display_name })

describe('whoReacted', () => {
  it('names people in the order they reacted, me first as "you"', () => {
    const cases: [Parameters<typeof whoReacted>[0], number | null, string][] = [
      [{ emoji: '👍', count: 1, me: false, users: [u(2, 'Bob')] }, 1, 'Bob'],
      [{ emoji: '👍', count: 1, me: true, users: [u(1, 'Alice')] }, 1, 'you'],
      [{ emoji: '👍', count: 2, me: true, users: [u(2, 'Bob'), u(1, 'Alice')] }, 1, 'you and Bob'],
      [{ emoji: '👍', count: 3, me: false, users: [u(2, 'Bob'), u(3, '李雷'), u(4, 'Chloé')] }, 1, 'Bob, 李雷 and Chloé'],
      // the server lists the first 20; the tooltip names 8 and counts the rest
      [{ emoji: '👍', count: 40, me: false, users: Array.from({ length: 20 }, (_, i) => u(10 + i, `p${i}`)) }, 1, 'p0, p1, p2, p3, p4, p5, p6, p7 and 32 others'],
      [{ emoji: '👍', count: 9, me: true, users: Array.from({ length: 9 }, (_, i) => u(i + 1, `p${i}`)) }, 1, 'you, p1, p2, p3, p4, p5, p6, p7 and 1 other'],
      // no names (an older server, or a frame-made reaction): a count
      [{ emoji: '👍', count: 3, me: false, users: [] }, 1, '3 people'],
      [{ emoji: '👍', count: 3, me: true, users: [] }, 1, 'you and 2 others'],
    ]
    for (const [r, me, want] of cases) expect(whoReacted(r, me)).toBe(want)
  })

  it('says what a click does', () => {
    expect(reactionLabel({ emoji: '🎉', count: 1, me: false, users: [u(2, 'Bob')] }, 1)).toBe('🎉 from Bob. Click to add yours')
  })
})
