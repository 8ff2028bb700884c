import { describe, expect, it } from 'vitest'
import { endOfDay, tomorrowAt } from '@/utils/wallClock'

describe('wall clock moments in a time zone', () => {
  it('finds the coming midnight where the person lives', () => {
    const now = new Date('2026-12-07T12:30:00Z')
    expect(endOfDay('Asia/Seoul', now).toISOString()).toBe('2026-12-07T15:00:00.000Z') // 00:00 KST on the 8th
    expect(endOfDay('America/New_York', now).toISOString()).toBe('2026-12-08T05:00:00.000Z')
    expect(endOfDay('UTC', now).toISOString()).toBe('2026-12-08T00:00:00.000Z')
  })

  it('finds tomorrow at nine across a daylight-saving change', () => {
    // Europe/Berlin leaves summer time on 2026-10-25 at 03:00.
    const now = new Date('2026-10-24T20:00:00Z')
    expect(tomorrowAt('Europe/Berlin', 9, now).toISOString()).toBe('2026-10-25T08:00:00.000Z')
    expect(tomorrowAt('Asia/Tokyo', 9, new Date('2026-12-07T16:00:00Z')).toISOString()).toBe('2026-12-09T00:00:00.000Z')
  })
})
