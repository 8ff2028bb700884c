import { describe, expect, it } from 'vitest'
import { effectiveSetting, excerpt, notificationTitle, shouldNotify, type Incoming } from '@/utils/notify'

const base: Incoming = { setting: 'mentions', kind: 'room', fromMe: false, mentionsMe: false, pageVisible: false }

describe('shouldNotify', () => {
  it('follows the room setting while the page is hidden', () => {
    expect(shouldNotify({ ...base, setting: 'all' })).toBe(true)
    expect(shouldNotify({ ...base, setting: 'mentions' })).toBe(false)
    expect(shouldNotify({ ...base, setting: 'mentions', mentionsMe: true })).toBe(true)
    expect(shouldNotify({ ...base, setting: 'nothing', mentionsMe: true })).toBe(false)
  })

  it('never for my own messages or while the page is on screen', () => {
    expect(shouldNotify({ ...base, setting: 'all', fromMe: true })).toBe(false)
    expect(shouldNotify({ ...base, setting: 'all', mentionsMe: true, pageVisible: true })).toBe(false)
  })

  it('defaults to every message in a DM and to mentions in a room', () => {
    expect(effectiveSetting(null, 'direct')).toBe('all')
    expect(effectiveSetting(undefined, 'room')).toBe('mentions')
    expect(shouldNotify({ ...base, setting: null, kind: 'direct' })).toBe(true)
    expect(shouldNotify({ ...base, setting: null, kind: 'room' })).toBe(false)
    expect(shouldNotify({ ...base, setting: 'nothing', kind: 'direct' })).toBe(false)
  })
})

describe('excerpt', () => {
  it('is one plain line', () => {
    expect(excerpt('  hello\n\n  there\tfriend ')).toBe('hello there friend')
  })
  it('cuts long bodies at a word with an ellipsis', () => {
    const out = excerpt('word '.repeat(100), 40)
    expect(out.length).toBeLessThanOrEqual(40)
    expect(out.endsWith('word…')).toBe(true)
  })
  it('keeps markup as text', () => {
    expect(excerpt('<b>hi</b>')).toBe('<b>hi</b>')
  })
})

describe('notificationTitle', () => {
  it('names the sender, and the place unless it is a one-to-one DM', () => {
    expect(notificationTitle('Bob', 'direct', 'Bob', 1)).toBe('Bob')
    expect(notificationTitle('Bob', 'direct', 'Bob, Cat', 2)).toBe('Bob in Bob, Cat')
    expect(notificationTitle('Bob', 'room', 'general', 5)).toBe('Bob in #general')
  })
})
