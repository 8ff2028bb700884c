import { beforeEach, describe, expect, it, vi } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { flushPromises, mount } from '@vue/test-utils'
import MessageMarkdown from '@/components/MessageMarkdown.vue'

describe('MessageMarkdown', () => {
  // The body shows custom emoji from the server's list (a store).
  beforeEach(() => setActivePinia(createPinia()))

  it('renders Markdown as elements and the body as text', () => {
    const w = mount(MessageMarkdown, { props: { body: '**bold** <i>not html</i>\n- one\n- two\n\n> quote @alice' } })
    expect(w.get('strong').text()).toBe('bold')
    expect(w.find('i').exists()).toBe(false)
    expect(w.text()).toContain('<i>not html</i>')
    expect(w.findAll('ul > li').map((li) => li.text())).toEqual(['one', 'two'])
    expect(w.get('blockquote .mention').text()).toBe('@alice')
  })

  it('opens links in a new tab without an opener, and only safe ones', () => {
    const w = mount(MessageMarkdown, { props: { body: '[ok](https://example.com) [bad](javascript:alert(1)) https://example.com/a。谢谢' } })
    const as = w.findAll('a')
    expect(as.map((a) => a.attributes('href'))).toEqual(['https://example.com/', 'https://example.com/a'])
    for (const a of as) {
      expect(a.attributes('target')).toBe('_blank')
      expect(a.attributes('rel')).toBe('noopener noreferrer')
    }
    expect(w.text()).toContain('[bad](javascript:alert(1))')
    expect(w.text()).toContain('。谢谢')
  })

  it('shows a code block as text at once, then highlighted spans from the lazy highlighter', async () => {
    const code = 'def f(x):\n    return "<script>alert(1)</script>"  # hi'
    const w = mount(MessageMarkdown, { props: { body: '```python\n' + code + '\n```' } })
    const pre = w.get('[data-testid="code-block"]')
    expect(pre.text()).toBe(code)
    await vi.waitFor(() => expect(pre.attributes('data-highlighted')).toBe('true'))
    expect(pre.text()).toBe(code)
    expect(pre.findAll('span.hljs-keyword').map((s) => s.text())).toContain('def')
    expect(pre.find('script').exists()).toBe(false)
    expect(pre.findAll('span').every((s) => (s.attributes('class') ?? '').split(' ').every((c) => c.startsWith('hljs-')))).toBe(true)
  })

  it('leaves an unknown language as plain text', async () => {
    const w = mount(MessageMarkdown, { props: { body: '```klingon\nQapla\'\n```' } })
    await import('@/utils/highlight') // the component's own import resolves with the same module
    await flushPromises()
    const pre = w.get('[data-testid="code-block"]')
    expect(pre.attributes('data-highlighted')).toBeUndefined()
    expect(pre.text()).toBe("Qapla'")
  })
})
