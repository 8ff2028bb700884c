/**
 * The total unread count in the page title ("(3) Parley") and as a badge on the
 * favicon, kept up to date while the app runs.
 *
 * Views set `document.title` themselves (the room's name); an observer on the
 * <title> puts the count back in front whenever one does. The favicon is drawn on
 * a canvas from the original icon, so the original stays the only artwork.
 */
import { onMounted, onUnmounted, watch, type Ref } from 'vue'
import { drawBadge, titleWithCount } from '@/utils/titleBadge'

const SIZE = 64

export function useTitleBadge(count: Ref<number>): void {
  let observer: MutationObserver | null = null
  let link: HTMLLinkElement | null = null
  let original = ''
  let icon: HTMLImageElement | null = null

  function applyTitle(): void {
    const next = titleWithCount(document.title, count.value)
    if (next !== document.title) document.title = next
  }

  function applyIcon(): void {
    if (!link) return
    if (count.value <= 0) {
      if (link.href !== original) link.href = original
      link.dataset.badge = '0'
      return
    }
    const canvas = document.createElement('canvas')
    canvas.width = canvas.height = SIZE
    const ctx = canvas.getContext('2d')
    if (!ctx) return
    drawBadge(ctx, icon?.complete ? icon : null, SIZE, count.value)
    link.type = 'image/png'
    link.href = canvas.toDataURL('image/png')
    link.dataset.badge = String(count.value)
  }

  onMounted(() => {
    applyTitle()
    const title = document.querySelector('title')
    if (title) {
      observer = new MutationObserver(applyTitle)
      observer.observe(title, { childList: true, characterData: true, subtree: true })
    }
    link = document.querySelector<HTMLLinkElement>('link[rel="icon"]')
    if (link) {
      original = link.href
      icon = new Image()
      icon.onload = applyIcon
      icon.src = original
    }
    applyIcon()
  })

  watch(count, () => {
    applyTitle()
    applyIcon()
  })

  onUnmounted(() => {
    observer?.disconnect()
    if (link && original) link.href = original
  })
}
