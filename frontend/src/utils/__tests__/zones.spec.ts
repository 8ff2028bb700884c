import { afterEach, describe, expect, it } from 'vitest'
import { setLocale } from '@/i18n'
import { sameClock, zoneGroups, type ZoneInfo } from '@/utils/zones'
import { shownName } from '@/utils/users'

const ZONES: ZoneInfo[] = [
  { id: 'UTC', region: 'UTC', city: 'UTC', country: '' },
  { id: 'Asia/Seoul', region: 'Asia', city: 'Seoul', country: 'KR' },
  { id: 'Asia/Pyongyang', region: 'Asia', city: 'Pyongyang', country: 'KP' },
  { id: 'Asia/Tokyo', region: 'Asia', city: 'Tokyo', country: 'JP' },
  { id: 'Europe/Paris', region: 'Europe', city: 'Paris', country: 'FR' },
  { id: 'America/New_York', region: 'America', city: 'New York', country: 'US' },
  { id: 'Asia/Seoul', region: 'Asia', city: 'Seoul', country: 'KR' },
]

describe('the time-zone picker', () => {
  afterEach(async () => {
    await setLocale('en')
  })

  it('groups the server\'s zones by region, each once, labelled by city and country', () => {
    const groups = zoneGroups(ZONES)
    expect(groups.map((g) => g.region)).toEqual(['UTC', 'America', 'Asia', 'Europe'])
    const asia = groups.find((g) => g.region === 'Asia')!.options
    expect(asia.map((o) => o.id)).toEqual(['Asia/Pyongyang', 'Asia/Seoul', 'Asia/Tokyo'])
    expect(asia.find((o) => o.id === 'Asia/Seoul')!.label).toBe('Seoul · South Korea')
    expect(asia.find((o) => o.id === 'Asia/Pyongyang')!.label).toBe('Pyongyang · North Korea')
  })

  it('names the countries in the UI language', async () => {
    await setLocale('ja')
    const labels = zoneGroups(ZONES).flatMap((g) => g.options.map((o) => o.label))
    expect(labels).toContain('Tokyo · 日本')
    expect(labels).toContain('Seoul · 韓国')
  })

  it('keeps the saved zone when the list lacks it', () => {
    const groups = zoneGroups(ZONES, 'Asia/Calcutta')
    expect(groups.flatMap((g) => g.options.map((o) => o.id)).filter((id) => id === 'Asia/Calcutta')).toHaveLength(1)
    expect(zoneGroups(ZONES, 'Asia/Seoul').flatMap((g) => g.options).filter((o) => o.id === 'Asia/Seoul')).toHaveLength(1)
  })

  it('tells a legacy alias from a zone with another clock', () => {
    expect(sameClock('Asia/Calcutta', 'Asia/Kolkata')).toBe(true)
    expect(sameClock('UTC', 'Etc/UTC')).toBe(true)
    expect(sameClock('Europe/Berlin', 'Africa/Algiers')).toBe(false)
    expect(sameClock('UTC', 'Asia/Seoul')).toBe(false)
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
