import { describe, expect, it } from 'vitest'
import { roomLabel, roomTitle } from '@/utils/roomTitle'
import { firstUnreadSeq } from '@/composables/useUnreadDivider'
import { makeMessage } from '@/test-utils/fakes'

const ann = { id: 1, username: 'ann', display_name: 'Ann', avatar: '', is_guest: false, is_bot: false }
const bob = { id: 2, username: 'bob', display_name: 'Bob', avatar: '', is_guest: false, is_bot: false }
const cat = { id: 3, username: 'cat', display_name: 'Cat', avatar: '', is_guest: false, is_bot: false }

describe('roomTitle', () => {
  it('names a DM by the other people, a room by its name', () => {
    const dm = { name: 'stored', kind: 'direct', dm_members: [ann, bob, cat] }
    expect(roomTitle(dm, 1)).toBe('Bob, Cat')
    expect(roomTitle(dm, 2)).toBe('Ann, Cat')
    expect(roomLabel(dm, 3)).toBe('Ann, Bob')
    expect(roomLabel({ name: 'general', kind: 'room', dm_members: [] }, 1)).toBe('#general')
  })
})

describe('firstUnreadSeq', () => {
  it('is the first message after the marker that someone else wrote', () => {
    const msgs = [
      makeMessage(4, { sender: ann }),
      makeMessage(5, { sender: ann }),
      makeMessage(6, { sender: bob }),
      makeMessage(8, { sender: bob }),
    ]
    expect(firstUnreadSeq(msgs, 3, ann.id)).toBe(6)
    expect(firstUnreadSeq(msgs, 6, ann.id)).toBe(8)
    expect(firstUnreadSeq(msgs, 8, ann.id)).toBeNull()
    expect(firstUnreadSeq(msgs, null, ann.id)).toBeNull()
  })

  it('is not drawn while the first unread message is older than the loaded page', () => {
    const msgs = [makeMessage(10, { sender: bob }), makeMessage(11, { sender: bob })]
    expect(firstUnreadSeq(msgs, 3, ann.id, true)).toBeNull() // 4..9 not loaded
    expect(firstUnreadSeq(msgs, 3, ann.id, false)).toBe(10) // the history starts here
    expect(firstUnreadSeq(msgs, 9, ann.id, true)).toBe(10) // right after the marker
    expect(firstUnreadSeq(msgs, 10, ann.id, true)).toBe(11)
  })
})
