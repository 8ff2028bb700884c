import { formatNumber } from '@/utils/time'
/** Sizes and kinds of files as people read them. */

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${formatNumber(bytes)} B`
  const units = ['KB', 'MB', 'GB']
  let size = bytes / 1024
  let unit = 0
  while (size >= 1024 && unit < units.length - 1) {
    size /= 1024
    unit += 1
  }
  const digits = size < 10 ? 1 : 0
  return `${formatNumber(size, { minimumFractionDigits: digits, maximumFractionDigits: digits })} ${units[unit]}`
}

/** A short label for a file card's icon, from its (sniffed) content type. */
export function fileKind(contentType: string): string {
  if (contentType.startsWith('image/')) return 'IMG'
  if (contentType.startsWith('video/')) return 'VID'
  if (contentType.startsWith('audio/')) return 'AUD'
  if (contentType === 'application/pdf') return 'PDF'
  if (contentType.includes('zip') || contentType.includes('compressed') || contentType.includes('tar')) return 'ZIP'
  if (contentType.startsWith('text/')) return 'TXT'
  return 'FILE'
}

/**
 * The box an image takes in the list before it loads, so the list does not jump:
 * its own aspect ratio, at most `maxW` × `maxH` CSS pixels, never enlarged.
 */
export function imageBox(width: number, height: number, maxW = 320, maxH = 240): { width: number; height: number } {
  if (width <= 0 || height <= 0) return { width: maxW, height: maxH }
  const scale = Math.min(1, maxW / width, maxH / height)
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) }
}

/** A pasted image has no useful name ("image.png"); give it one that sorts by time. */
export function pastedName(type: string, now = new Date()): string {
  const ext = type.split('/')[1]?.replace('jpeg', 'jpg').replace(/[^a-z0-9]/g, '') || 'png'
  const stamp = now.toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-')
  return `pasted-${stamp}.${ext}`
}
