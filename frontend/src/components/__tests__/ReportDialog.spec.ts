import { describe, expect, it } from 'vitest'
import { mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import ReportDialog from '@/components/ReportDialog.vue'
import { i18n, setLocale } from '@/i18n'
import { LOCALES } from '@/i18n/languages.gen'
import { serverFrame } from '@/test-utils/frames'

describe('ReportDialog', () => {
  it('quotes the room by the label the room view gives it, without a second "#"', async () => {
    setActivePinia(createPinia())
    const message = { ...serverFrame('message').message, body: 'Buy cheap pills' }
    for (const code of LOCALES) {
      await setLocale(code)
      const w = mount(ReportDialog, {
        props: { message, roomName: '#lounge' },
        attachTo: document.body,
        global: { plugins: [i18n] },
      })
      const quote = w.find('blockquote').text()
      expect(quote, code).toContain('#lounge')
      expect(quote, code).not.toContain('##')
      w.unmount()
    }
    await setLocale('en')
  })
})
