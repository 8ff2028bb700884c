/**
 * Files dragged onto an area: `active` while files hover over it (for a hint),
 * and `onFiles` with what was dropped. Text and links dragged around the page
 * are left to the browser.
 */
import { ref } from 'vue'

function hasFiles(e: DragEvent): boolean {
  return [...(e.dataTransfer?.types ?? [])].includes('Files')
}

export function useFileDrop(onFiles: (files: File[]) => void, enabled: () => boolean = () => true) {
  const active = ref(false)
  // dragenter/dragleave fire for every child the pointer crosses: count them.
  let depth = 0

  function onDragEnter(e: DragEvent): void {
    if (!enabled() || !hasFiles(e)) return
    e.preventDefault()
    depth += 1
    active.value = true
  }

  function onDragOver(e: DragEvent): void {
    if (!enabled() || !hasFiles(e)) return
    e.preventDefault() // allow the drop
    if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy'
  }

  function onDragLeave(e: DragEvent): void {
    if (!enabled() || !hasFiles(e)) return
    depth = Math.max(0, depth - 1)
    if (depth === 0) active.value = false
  }

  function onDrop(e: DragEvent): void {
    depth = 0
    active.value = false
    if (!enabled() || !hasFiles(e)) return
    e.preventDefault()
    const files = [...(e.dataTransfer?.files ?? [])]
    if (files.length) onFiles(files)
  }

  return { active, onDragEnter, onDragOver, onDragLeave, onDrop }
}
