import { describe, expect, it } from 'vitest'
import { mount } from '@vue/test-utils'
import MessageListItem from '@/components/MessageListItem.vue'
import { bob } from '@/test-utils/fakes'

const base = { sender: bob, createdAt: '2025-01-01T12:00:00Z', own: false, grouped: false }

describe('MessageListItem', () => {
  it('renders HTML in a body as text', () => {
    const w = mount(MessageListItem, { props: { ...base, body: '<img src=x onerror=alert(1)> <b>hi</b>', seq: 3, status: 'sent' } })
    const body = w.get('[data-testid="message-body"]')
    expect(body.text()).toContain('<img src=x onerror=alert(1)>')
    expect(body.find('img').exists()).toBe(false)
    expect(body.find('b').exists()).toBe(false)
    expect(w.get('[data-testid="message"]').attributes('data-seq')).toBe('3')
  })

  it('makes links open in a new tab without an opener', () => {
    const w = mount(MessageListItem, { props: { ...base, body: 'go to https://example.com now', status: 'sent' } })
    const a = w.get('a')
    expect(a.attributes('href')).toBe('https://example.com/')
    expect(a.attributes('target')).toBe('_blank')
    expect(a.attributes('rel')).toBe('noopener noreferrer')
    expect(a.text()).toBe('https://example.com')
  })

  it('shows pending and failed states with a retry button', async () => {
    const pending = mount(MessageListItem, { props: { ...base, own: true, body: 'x', status: 'pending' } })
    expect(pending.find('[data-testid="message-pending"]').exists()).toBe(true)
    expect(pending.find('[data-testid="message-retry"]').exists()).toBe(false)
    const failed = mount(MessageListItem, { props: { ...base, own: true, body: 'x', status: 'failed', error: 'Slow down' } })
    expect(failed.get('[data-testid="message-failed"]').text()).toContain('Slow down')
    await failed.get('[data-testid="message-retry"]').trigger('click')
    expect(failed.emitted('retry')).toHaveLength(1)
  })
})
