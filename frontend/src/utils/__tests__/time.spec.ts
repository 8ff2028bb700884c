import { afterEach, describe, expect, it } from 'vitest'
import { dateToWall, setTimeZone, wallToDate } from '@/utils/time'

describe('wall-clock times in the user zone (the Send later picker)', () => {
  afterEach(() => setTimeZone(undefined))

  it('reads a datetime-local value in the chosen zone, not the browser one', () => {
    setTimeZone('Asia/Tokyo')
    expect(wallToDate('2026-12-08T09:00')?.toISOString()).toBe('2026-12-08T00:00:00.000Z')
    setTimeZone('America/New_York')
    expect(wallToDate('2026-12-08T09:00')?.toISOString()).toBe('2026-12-08T14:00:00.000Z')
    expect(wallToDate('2026-07-08T09:00')?.toISOString()).toBe('2026-07-08T13:00:00.000Z') // summer time
    expect(wallToDate('not a time')).toBeNull()
  })

  it('writes an instant back as the same wall-clock time', () => {
    setTimeZone('Asia/Seoul')
    const at = new Date('2026-12-07T12:34:00Z')
    expect(dateToWall(at)).toBe('2026-12-07T21:34')
    expect(wallToDate(dateToWall(at))?.getTime()).toBe(at.getTime())
  })
})
