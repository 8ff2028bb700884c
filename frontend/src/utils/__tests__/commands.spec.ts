import { describe, expect, it } from 'vitest'
import type { CommandInfo } from '@/api/types'
import { actionText, commandQuery, matchCommands } from '../commands'

const ALL: CommandInfo[] = [
  { name: 'help', usage: '', help: 'List', bot: '' },
  { name: 'roll', usage: '2d6', help: 'Roll dice', bot: 'Dice' },
  { name: 'rot13', usage: '', help: 'Scramble', bot: 'Ext' },
]

describe('commandQuery', () => {
  it('is open while the first word after a slash is typed', () => {
    expect(commandQuery('/', 1)).toBe('')
    expect(commandQuery('/Ro', 3)).toBe('ro')
  })
  it('closes after a space, mid-text, for paths and for a doubled slash', () => {
    expect(commandQuery('/roll ', 6)).toBeNull()
    expect(commandQuery('/roll', 2)).toBeNull()
    expect(commandQuery('hi /roll', 8)).toBeNull()
    expect(commandQuery('//roll', 6)).toBeNull()
    expect(commandQuery('/usr/bin', 8)).toBeNull()
  })
})

describe('matchCommands', () => {
  it('keeps the server order and filters by prefix', () => {
    expect(matchCommands(ALL, 'ro').map((c) => c.name)).toEqual(['roll', 'rot13'])
    expect(matchCommands(ALL, '').length).toBe(3)
    expect(matchCommands(ALL, 'x')).toEqual([])
  })
})

describe('actionText', () => {
  it('reads /me messages as actions only', () => {
    expect(actionText('/me waves')).toBe('waves')
    expect(actionText('/mewaves')).toBeNull()
    expect(actionText('me waves')).toBeNull()
  })
})
