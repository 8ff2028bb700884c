import { describe, expect, it } from 'vitest'
import { appPath, base64UrlToBytes, notificationFor, parsePushPayload, sameKey } from '@/pwa/push'
import en from '@/i18n/locales/en.json'

const words = { newMessage: 'New message' }

describe('push payload', () => {
  it('shows who wrote what, tagged per room, and opens the message on click', () => {
    const p = parsePushPayload({
      v: 1,
      title: 'Ann in #general',
      body: 'lunch?',
      url: '/rooms/12?msg=345&seq=67',
      tag: 'room-12',
      room: 12,
      message_id: 345,
      seq: 67,
      thread: null,
      count: 1,
      hidden: false,
      kind: 'room',
    })
    const { title, options } = notificationFor(p, words, '/static/icons/icon-192.png')
    expect(title).toBe('Ann in #general')
    expect(options.body).toBe('lunch?')
    expect(options.tag).toBe('room-12')
    expect(options.renotify).toBe(false)
    expect(options.data).toMatchObject({ url: '/rooms/12?msg=345&seq=67', room: 12, message_id: 345, tag: 'room-12' })
  })

  it('keeps sender and text off the lock screen when hidden, whatever the payload carries', () => {
    const p = parsePushPayload({ title: 'Ann', body: 'the secret plan', hidden: true, room: 3, url: '/rooms/3' })
    const { title, options } = notificationFor(p, words, '/i.png')
    expect(title).toBe('Parley')
    expect(options.body).toBe('New message')
    // Not even in the notification's data, which other code on the device may read.
    expect(JSON.stringify(options)).not.toContain('secret')
    expect(JSON.stringify(options)).not.toContain('Ann')
  })

  it('a coalesced push replaces the room\'s notification and alerts again', () => {
    const { options } = notificationFor(parsePushPayload({ title: 'Ann', body: '3 new messages', room: 5, count: 3 }), words, '/i.png')
    expect(options.tag).toBe('room-5')
    expect(options.renotify).toBe(true)
  })

  it('survives a payload that is not what was agreed', () => {
    for (const junk of [null, 'text', 42, { title: 7, body: {}, url: 9, room: -1, count: 'x' }]) {
      const p = parsePushPayload(junk)
      const { title, options } = notificationFor(p, words, '/i.png')
      expect(title).toBe('Parley')
      expect(options.body).toBe('New message')
      expect(p.url).toBe('/')
      expect(p.count).toBe(1)
    }
  })

  it('never opens another site', () => {
    expect(appPath('/rooms/1?thread=2&at=3')).toBe('/rooms/1?thread=2&at=3')
    for (const bad of ['https://evil.example/', '//evil.example/x', '/\\evil.example', 'javascript:alert(1)', '', 12, null]) {
      expect(appPath(bad)).toBe('/')
    }
    expect(parsePushPayload({ url: 'https://evil.example/phish' }).url).toBe('/')
  })

  it('the worker\'s own words are in the catalogue', () => {
    expect(en.pwa.newMessage).toBe('New message')
  })
})

describe('VAPID key', () => {
  it('decodes base64url without padding and compares subscription keys', () => {
    // 65 bytes: an uncompressed P-256 point starts with 0x04.
    const bytes = new Uint8Array(65).map((_, i) => (i === 0 ? 4 : i * 3))
    const b64url = btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
    const decoded = base64UrlToBytes(b64url)
    expect(Array.from(decoded)).toEqual(Array.from(bytes))
    expect(sameKey(decoded.buffer, bytes)).toBe(true)
    expect(sameKey(new Uint8Array(65).buffer, bytes)).toBe(false)
    expect(sameKey(null, bytes)).toBe(false)
  })
})
