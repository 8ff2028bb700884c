import { onUnmounted, ref, type Ref } from 'vue'

/** Whether a CSS media query matches now, kept current while the component lives. */
export function useMediaQuery(query: string): Ref<boolean> {
  const list = typeof window !== 'undefined' && typeof window.matchMedia === 'function' ? window.matchMedia(query) : null
  const matches = ref(list?.matches ?? false)
  const onChange = (e: MediaQueryListEvent): void => {
    matches.value = e.matches
  }
  list?.addEventListener('change', onChange)
  onUnmounted(() => list?.removeEventListener('change', onChange))
  return matches
}

/** A touch screen is the main pointer: on-screen keyboard, no hover. */
export const TOUCH = '(pointer: coarse)'
/** Too narrow for the room header's buttons beside the name. */
export const NARROW = '(max-width: 640px)'
