import { beforeEach, describe, expect, it } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { mount } from '@vue/test-utils'
import MessageListItem from '@/components/MessageListItem.vue'
import MessageMarkdown from '@/components/MessageMarkdown.vue'
import { useCustomEmojiStore } from '@/stores/customEmoji'
import { bob } from '@/test-utils/fakes'

const base = { sender: bob, createdAt: '2025-01-01T12:00:00Z', grouped: false, seq: 3, status: 'sent' as const }
const card = {
  url: 'https://harbour.example/guide',
  title: 'The Harbour Guide',
  description: 'Tides, ferries and where to eat.',
  image_url: '/api/v1/link-previews/1/abc.webp',
  site_name: 'Harbour',
}

describe('link previews and custom emoji in a message', () => {
  beforeEach(() => setActivePinia(createPinia()))

  it('shows a card with the picture Parley serves, linked without an opener', () => {
    const w = mount(MessageListItem, { props: { ...base, own: false, body: card.url, previews: [card] } })
    const preview = w.get('[data-testid="link-preview"]')
    expect(preview.text()).toContain('Harbour')
    expect(preview.text()).toContain('Tides, ferries and where to eat.')
    const a = preview.get('[data-testid="link-preview-title"]')
    expect([a.text(), a.attributes('href'), a.attributes('rel')]).toEqual([card.title, card.url, 'noopener noreferrer nofollow'])
    expect(preview.get('img').attributes('src')).toBe(card.image_url)
    // Not the author: no remove button.
    expect(w.find('[data-testid="link-preview-remove"]').exists()).toBe(false)
  })

  it('lets the author remove a card, naming it for screen readers', async () => {
    const w = mount(MessageListItem, {
      props: { ...base, own: true, body: card.url, previews: [{ ...card, image_url: null }, card], canRemovePreviews: true },
    })
    const buttons = w.findAll('[data-testid="link-preview-remove"]')
    expect(buttons).toHaveLength(2)
    expect(buttons[0]!.attributes('aria-label')).toContain('The Harbour Guide')
    expect(w.findAll('[data-testid="link-preview"]')[0]!.find('img').exists()).toBe(false)
    await buttons[1]!.trigger('click')
    expect(w.emitted('removePreview')).toEqual([[1]])
  })

  it('shows no card on a deleted message', () => {
    const w = mount(MessageListItem, { props: { ...base, own: true, body: '', deleted: true, previews: [card] } })
    expect(w.find('[data-testid="link-preview"]').exists()).toBe(false)
  })

  it('shows :name: of a known custom emoji as its picture, with the name as its text', () => {
    const store = useCustomEmojiStore()
    store.list = [{ name: 'parrot', url: '/api/v1/emoji/1/parrot.gif', animated: true, creator: null, created_at: '2025-01-01T00:00:00Z' }]
    store.loaded = true
    const w = mount(MessageMarkdown, { props: { body: 'hi :parrot: and :unknown: `:parrot:`' } })
    const imgs = w.findAll('[data-testid="custom-emoji"]')
    expect(imgs).toHaveLength(1) // not the unknown one, not inside code
    expect([imgs[0]!.attributes('alt'), imgs[0]!.attributes('title'), imgs[0]!.attributes('src')]).toEqual([
      ':parrot:',
      ':parrot:',
      '/api/v1/emoji/1/parrot.gif',
    ])
    expect(w.text()).toContain(':unknown:')
    expect(w.get('code').text()).toBe(':parrot:')
  })

  it('searches custom emoji by the words of their name', () => {
    const store = useCustomEmojiStore()
    const e = (name: string) => ({ name, url: `/e/${name}`, animated: false, creator: null, created_at: '' })
    store.list = [e('party_parrot'), e('parley'), e('sad_parrot')]
    expect(store.search('parrot').map((x) => x.name)).toEqual(['party_parrot', 'sad_parrot'])
    expect(store.search(':par party').map((x) => x.name)).toEqual(['party_parrot'])
    expect(store.search('').length).toBe(3)
  })
})
