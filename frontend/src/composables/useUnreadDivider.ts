/**
 * Where the "New messages" line goes in a timeline, and the "Jump to first unread"
 * button that appears while that line is out of sight above.
 *
 * `unreadAfter` is the read marker when the room was opened (null: nothing was
 * unread): the line goes above the first message after it that someone else wrote.
 * If that message is older than the loaded page, the jump loads the page around
 * it (`?around_seq=`) first.
 */
import { computed, nextTick, ref, type Ref } from 'vue'
import type { Message } from '@/api/types'
import { useTimelineStore } from '@/stores/timeline'

/**
 * The seq of the message the line goes above, or null: nothing unread, or the first
 * unread is older than what is loaded (`hasOlder`: the history goes further back),
 * in which case the line waits for a jump to load it.
 */
export function firstUnreadSeq(
  messages: readonly Message[],
  unreadAfter: number | null,
  meId: number | null,
  hasOlder = false,
): number | null {
  if (unreadAfter === null) return null
  const i = messages.findIndex((x) => x.seq > unreadAfter)
  if (i < 0 || (i === 0 && hasOlder && messages[0]!.seq > unreadAfter + 1)) return null
  const m = messages.slice(i).find((x) => x.sender.id !== meId)
  return m ? m.seq : null
}

export function useUnreadDivider(opts: {
  roomId: Ref<number>
  unreadAfter: Ref<number | null>
  meId: Ref<number | null>
  scroller: Ref<HTMLElement | null>
}) {
  const timelines = useTimelineStore()
  const offScreen = ref(false)
  const dividerSeq = computed(() => {
    const t = timelines.timeline(opts.roomId.value)
    return t ? firstUnreadSeq(t.messages, opts.unreadAfter.value, opts.meId.value, t.hasMore) : null
  })
  /** The unread start lies before everything loaded: the line is not drawn yet. */
  const beforeLoaded = computed(() => {
    const t = timelines.timeline(opts.roomId.value)
    const first = t?.messages[0]
    return opts.unreadAfter.value !== null && !!first && t!.hasMore && first.seq > opts.unreadAfter.value + 1
  })

  function divider(): HTMLElement | null {
    return opts.scroller.value?.querySelector<HTMLElement>('[data-testid="unread-divider"]') ?? null
  }

  /** Call on scroll: is the line above what is on screen? */
  function measure(): void {
    const el = opts.scroller.value
    const d = divider()
    if (!el || opts.unreadAfter.value === null) {
      offScreen.value = false
      return
    }
    if (!d) {
      offScreen.value = beforeLoaded.value
      return
    }
    offScreen.value = d.offsetTop + d.offsetHeight < el.scrollTop
  }

  async function jump(): Promise<void> {
    const after = opts.unreadAfter.value
    if (after === null) return
    if (!divider()) await timelines.loadAround(opts.roomId.value, after + 1)
    await nextTick()
    divider()?.scrollIntoView({ block: 'start' })
    measure()
  }

  return { dividerSeq, offScreen, measure, jump }
}
