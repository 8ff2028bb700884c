/** The unread count in the page title and on the favicon: the pure parts. */

const PREFIX = /^\(\d+\+?\) /

/** "(3) Parley": the title with the count in front (none when 0), whatever it had before. */
export function titleWithCount(title: string, count: number): string {
  const bare = title.replace(PREFIX, '')
  return count > 0 ? `(${badgeText(count)}) ${bare}` : bare
}

export function badgeText(count: number): string {
  return count > 99 ? '99+' : String(count)
}

/**
 * Draw the favicon with a red badge in its corner on a square canvas of `size`.
 * `icon` is the loaded favicon (null: draw the badge alone).
 */
export function drawBadge(ctx: CanvasRenderingContext2D, icon: CanvasImageSource | null, size: number, count: number): void {
  ctx.clearRect(0, 0, size, size)
  if (icon) ctx.drawImage(icon, 0, 0, size, size)
  if (count <= 0) return
  const text = badgeText(count)
  const r = size * (text.length > 1 ? 0.3 : 0.26)
  const cx = size - r
  const cy = r
  ctx.fillStyle = '#dc2626'
  ctx.beginPath()
  ctx.arc(cx, cy, r, 0, Math.PI * 2)
  ctx.fill()
  ctx.fillStyle = '#ffffff'
  ctx.font = `bold ${Math.round(r * (text.length > 2 ? 0.9 : 1.3))}px sans-serif`
  ctx.textAlign = 'center'
  ctx.textBaseline = 'middle'
  ctx.fillText(text, cx, cy + r * 0.08)
}
