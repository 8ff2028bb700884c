/**
 * Arrow keys in the message list: ↑/↓ move focus between messages (from the
 * list itself, ↑ picks the newest), Home/End jump to the first/last loaded one,
 * Esc goes back to the list. A focused message then takes its own shortcuts
 * (see MessageListItem). Typing in an editor is left alone.
 */
import type { Ref } from 'vue'

const ROW = 'li[data-testid="message"][tabindex]'

export function useMessageListKeys(list: Ref<HTMLElement | null>): (e: KeyboardEvent) => void {
  return (e: KeyboardEvent) => {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || e.isComposing) return
    const root = list.value
    const target = e.target as HTMLElement | null
    if (!root || !target || target.closest('textarea, input, select, [contenteditable="true"]')) return
    // A dialog opened from a message (the image viewer) keeps its own keys: Esc closes it.
    if (target.closest('dialog')) return
    const rows = Array.from(root.querySelectorAll<HTMLElement>(ROW))
    const current = target.closest<HTMLElement>(ROW)
    const at = current ? rows.indexOf(current) : -1
    let next: HTMLElement | undefined
    if (e.key === 'ArrowUp') next = at === -1 ? rows[rows.length - 1] : rows[Math.max(0, at - 1)]
    else if (e.key === 'ArrowDown') next = at === -1 ? undefined : rows[Math.min(rows.length - 1, at + 1)]
    else if (e.key === 'Home' && at !== -1) next = rows[0]
    else if (e.key === 'End' && at !== -1) next = rows[rows.length - 1]
    else if (e.key === 'Escape' && current) {
      e.preventDefault()
      root.focus()
      return
    }
    if (!next) return
    e.preventDefault()
    next.focus({ preventScroll: true })
    next.scrollIntoView({ block: 'nearest' })
  }
}
