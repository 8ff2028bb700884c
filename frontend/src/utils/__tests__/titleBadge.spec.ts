import { describe, expect, it, vi } from 'vitest'
import { badgeText, drawBadge, titleWithCount } from '@/utils/titleBadge'

describe('titleWithCount', () => {
  it('puts the count in front, replacing an older one', () => {
    expect(titleWithCount('Parley', 3)).toBe('(3) Parley')
    expect(titleWithCount('(3) #general · Parley', 12)).toBe('(12) #general · Parley')
    expect(titleWithCount('(99+) Parley', 0)).toBe('Parley')
    expect(titleWithCount('Parley', 0)).toBe('Parley')
  })
  it('caps at 99+', () => {
    expect(titleWithCount('Parley', 250)).toBe('(99+) Parley')
    expect(badgeText(99)).toBe('99')
  })
  it('leaves a title that only looks like a count alone when it is not one', () => {
    expect(titleWithCount('(draft) notes', 1)).toBe('(1) (draft) notes')
  })
})

function fakeContext() {
  return {
    clearRect: vi.fn(),
    drawImage: vi.fn(),
    beginPath: vi.fn(),
    arc: vi.fn(),
    fill: vi.fn(),
    fillText: vi.fn(),
    fillStyle: '',
    font: '',
    textAlign: '',
    textBaseline: '',
  }
}

describe('drawBadge', () => {
  it('draws the icon and a badge with the count', () => {
    const ctx = fakeContext()
    const icon = {} as CanvasImageSource
    drawBadge(ctx as unknown as CanvasRenderingContext2D, icon, 64, 7)
    expect(ctx.drawImage).toHaveBeenCalledWith(icon, 0, 0, 64, 64)
    expect(ctx.arc).toHaveBeenCalledTimes(1)
    expect(ctx.fillText).toHaveBeenCalledWith('7', expect.any(Number), expect.any(Number))
  })
  it('draws no badge at zero', () => {
    const ctx = fakeContext()
    drawBadge(ctx as unknown as CanvasRenderingContext2D, null, 64, 0)
    expect(ctx.arc).not.toHaveBeenCalled()
    expect(ctx.fillText).not.toHaveBeenCalled()
  })
})
