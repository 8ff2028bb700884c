import { describe, expect, it } from 'vitest'
import { mount } from '@vue/test-utils'
import type { Attachment } from '@/api/types'
import MessageAttachments from '@/components/MessageAttachments.vue'

const image: Attachment = {
  id: 1,
  url: '/api/v1/uploads/1/wide.png',
  name: 'wide.png',
  size: 5000,
  content_type: 'image/png',
  width: 1600,
  height: 400,
  thumbnail_url: '/api/v1/uploads/1/thumbnail/wide.png',
}
const page: Attachment = {
  id: 2,
  url: '/api/v1/uploads/2/cat.png',
  name: 'cat.png',
  size: 120,
  content_type: 'text/html',
  width: null,
  height: null,
  thumbnail_url: null,
}

describe('MessageAttachments', () => {
  it('shows an image in a box of its proportions before it loads, using the thumbnail', () => {
    const w = mount(MessageAttachments, { props: { attachments: [image] } })
    const button = w.get('[data-testid="attachment-image"]')
    expect(button.attributes('style')).toContain('width: 320px')
    expect(button.attributes('style')).toContain('aspect-ratio: 320 / 80')
    expect(w.get('img').attributes('src')).toBe(image.thumbnail_url)
    expect(w.get('img').attributes('alt')).toBe('wide.png')
  })

  it('shows other files (whatever their name says) as a download card, never inline', () => {
    const w = mount(MessageAttachments, { props: { attachments: [page] } })
    expect(w.find('img').exists()).toBe(false)
    const card = w.get('[data-testid="attachment-file"]')
    expect(card.attributes('href')).toBe(page.url)
    expect(card.attributes('download')).toBe('cat.png')
    expect(card.text()).toContain('cat.png')
    expect(card.text()).toContain('120 B')
    expect(card.text()).toContain('TXT')
  })
})
