import { describe, expect, it } from 'vitest'
import pairs from '@/realtime/__fixtures__/compact-frames.json'
import { expandFrame } from '@/realtime/compact'
import { parseFrame } from '@/realtime/protocol'
import { allServerFrames } from '@/test-utils/frames'

// Made by the server (parley/realtime/tests/test_compact.py): each message frame it sends,
// in full and in the compact form, so this client's expansion is held to the server's rules.
const cases = Object.entries(pairs.pairs)

describe('compact frames', () => {
  it('has the server’s cases: replies, threads, attachments, repeated people', () => {
    expect(cases.map(([name]) => name)).toEqual(
      expect.arrayContaining(['message', 'message:reply', 'message.updated:thread', 'made:participants']),
    )
  })

  it.each(cases)('%s: the compact text parses to the full frame', (_name, pair) => {
    const text = JSON.stringify(pair.compact)
    expect(text.length).toBeLessThan(JSON.stringify(pair.full).length)
    expect(parseFrame(text)).toEqual(pair.full)
  })

  it('fills a user named earlier in the frame from that one, and keeps distinct copies', () => {
    const frame = parseFrame(JSON.stringify(pairs.pairs['message:reply'].compact))
    if (frame?.type !== 'message') throw new Error('not a message')
    expect(frame.message.reply_to?.sender).toEqual(frame.message.sender)
    expect(frame.message.reply_to?.sender).not.toBe(frame.message.sender)
  })

  it('leaves full frames, and every other frame, as they are', () => {
    for (const [name, frame] of allServerFrames()) {
      expect(expandFrame(structuredClone(frame)), name).toEqual(frame)
    }
  })
})
