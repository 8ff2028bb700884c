import { describe, expect, it } from 'vitest'
import { centreSquare } from '../crop'
import { inviteSummary } from '../invites'

describe('centreSquare', () => {
  it('takes the middle of a landscape picture', () => {
    expect(centreSquare(300, 200)).toEqual({ sx: 50, sy: 0, side: 200 })
  })
  it('takes the middle of a portrait picture', () => {
    expect(centreSquare(100, 161)).toEqual({ sx: 0, sy: 30, side: 100 })
  })
  it('keeps a square as it is', () => {
    expect(centreSquare(64, 64)).toEqual({ sx: 0, sy: 0, side: 64 })
  })
})

describe('inviteSummary', () => {
  const fmt = (iso: string) => iso.slice(0, 10)
  it('counts uses against the limit and says when it expires', () => {
    expect(inviteSummary({ uses: 2, max_uses: 5, expires_at: '2030-01-02T00:00:00Z', state: 'active' }, fmt)).toBe(
      '2 of 5 uses · expires 2030-01-02',
    )
  })
  it('says when a link no longer works', () => {
    expect(inviteSummary({ uses: 1, max_uses: 1, expires_at: null, state: 'used_up' }, fmt)).toBe('1 of 1 uses · used up')
    expect(inviteSummary({ uses: 0, max_uses: null, expires_at: null, state: 'expired' }, fmt)).toBe('0 used · expired')
    expect(inviteSummary({ uses: 0, max_uses: null, expires_at: null, state: 'active' }, fmt)).toBe('0 used · never expires')
  })
})
