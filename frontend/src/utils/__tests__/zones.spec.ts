import { afterEach, describe, expect, it } from 'vitest'
import { setLocale } from '@/i18n'
import { zoneChoices } from '@/utils/time'
import { shownName } from '@/utils/users'

const ZONES = ['UTC', 'Asia/Seoul', 'Asia/Tokyo', 'Europe/Berlin', 'Europe/Paris', 'Africa/Algiers', 'America/New_York']

describe('the time-zone picker', () => {
  afterEach(async () => {
    await setLocale('en')
  })

  it('names zones in the UI language, never by their English IANA names', async () => {
    await setLocale('ja')
    const labels = zoneChoices(ZONES).map((z) => z.label)
    expect(labels.some((l) => l.includes('日本'))).toBe(true)
    expect(labels.join(' ')).not.toMatch(/Asia|Europe|America|Tokyo|Seoul/)
  })

  it('lists zones by offset, one for each clock, and keeps the chosen one', () => {
    const choices = zoneChoices(ZONES)
    const zones = choices.map((c) => c.zone)
    expect(zones.indexOf('America/New_York')).toBeLessThan(zones.indexOf('UTC'))
    expect(zones.indexOf('UTC')).toBeLessThan(zones.indexOf('Asia/Seoul'))
    // Berlin and Paris keep the same clock all year: one stands for both. Algiers reads the
    // same in January but keeps no summer time, so it stays a choice of its own.
    expect(zones.filter((z) => z === 'Europe/Berlin' || z === 'Europe/Paris')).toHaveLength(1)
    expect(zones).toContain('Africa/Algiers')
    expect(zoneChoices(ZONES, 'Europe/Paris').map((c) => c.zone)).toContain('Europe/Paris')
  })
})

describe('a deleted account', () => {
  afterEach(async () => {
    await setLocale('en')
  })

  it('is named in the reader language, whatever the server stored', async () => {
    const gone = { username: '_deleted-42', display_name: 'Deleted user' }
    await setLocale('ko')
    expect(shownName(gone)).toBe('탈퇴한 사용자')
    expect(shownName({ username: 'mei', display_name: 'Mei Lin' })).toBe('Mei Lin')
  })
})
