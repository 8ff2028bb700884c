import { describe, expect, it } from 'vitest'
import { AVATAR_COLOURS, avatarColour, avatarKey, initial } from '@/utils/avatar'

describe('avatar', () => {
  it('reads the key from the URL the server gives, hashed or not', () => {
    expect(avatarKey('/static/avatars/owl.svg')).toBe('owl')
    expect(avatarKey('/static/avatars/owl.3f2a9c1b0d4e.svg')).toBe('owl')
    expect(avatarKey('https://chat.example/static/avatars/fox.svg?v=2')).toBe('fox')
    expect(avatarKey('tiger')).toBe('tiger')
  })

  it('gives each key its own colour, and an unknown one a stable colour of the set', () => {
    const colours = new Set(Object.values(AVATAR_COLOURS).map((c) => c.colour))
    expect(colours.size).toBe(12)
    expect(avatarColour('/static/avatars/owl.svg')).toEqual(AVATAR_COLOURS.owl)
    expect(colours.has(avatarColour('/static/avatars/dragon.svg').colour)).toBe(true)
    expect(avatarColour('dragon')).toEqual(avatarColour('dragon'))
  })

  it('takes the first character a reader sees, upper-cased', () => {
    expect(initial('zoë')).toBe('Z')
    expect(initial('  小明 ')).toBe('小')
    expect(initial('Élodie')).toBe('É')
    expect(initial('👩‍💻 dev')).toBe('👩‍💻')
    expect(initial('   ')).toBe('')
  })
})
