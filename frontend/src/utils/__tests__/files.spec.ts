import { describe, expect, it } from 'vitest'
import { fileKind, formatSize, imageBox, pastedName } from '@/utils/files'

describe('files', () => {
  it('formats sizes as people read them', () => {
    expect(formatSize(0)).toBe('0 B')
    expect(formatSize(1023)).toBe('1,023 B')
    expect(formatSize(1536)).toBe('1.5 KB')
    expect(formatSize(25 * 1024 * 1024)).toBe('25 MB')
    expect(formatSize(3 * 1024 ** 3)).toBe('3.0 GB')
  })

  it('keeps an image box in proportion, inside the limits, never enlarged', () => {
    expect(imageBox(4000, 3000)).toEqual({ width: 320, height: 240 })
    expect(imageBox(1000, 4000)).toEqual({ width: 60, height: 240 })
    expect(imageBox(40, 20)).toEqual({ width: 40, height: 20 })
    expect(imageBox(10000, 1)).toEqual({ width: 320, height: 1 })
    expect(imageBox(0, 0)).toEqual({ width: 320, height: 240 })
  })

  it('names a pasted image by the time and its type', () => {
    const at = new Date('2026-11-30T03:04:05Z')
    expect(pastedName('image/png', at)).toBe('pasted-20261130-030405.png')
    expect(pastedName('image/jpeg', at)).toBe('pasted-20261130-030405.jpg')
    expect(pastedName('', at)).toBe('pasted-20261130-030405.png')
  })

  it('labels a card by the sniffed type', () => {
    expect(fileKind('application/pdf')).toBe('PDF')
    expect(fileKind('text/html')).toBe('TXT')
    expect(fileKind('application/zip')).toBe('ZIP')
    expect(fileKind('application/octet-stream')).toBe('FILE')
  })
})
