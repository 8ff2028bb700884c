import { describe, expect, it } from 'vitest'
import { h } from 'vue'
import { mount } from '@vue/test-utils'
import BaseField from '@/components/BaseField.vue'

type Bindings = { id: string; describedBy?: string; invalid: boolean }

function field(props: Record<string, unknown>) {
  return mount(BaseField, {
    props: { label: 'Name', ...props },
    slots: {
      default: (f: Bindings) => h('input', { id: f.id, 'aria-invalid': f.invalid, 'aria-describedby': f.describedBy }),
    },
  })
}

describe('BaseField', () => {
  it('labels its control and, without an error, describes it by the hint', () => {
    const w = field({ hint: 'Letters and digits.', note: 'optional' })
    const input = w.get('input')
    expect(w.get('label').attributes('for')).toBe(input.attributes('id'))
    expect(w.get('label').text()).toBe('Name optional')
    expect(input.attributes('aria-invalid')).toBe('false')
    const hint = w.get('.field-hint')
    expect(hint.text()).toBe('Letters and digits.')
    expect(input.attributes('aria-describedby')).toBe(hint.attributes('id'))
    expect(w.find('.field-error').exists()).toBe(false)
  })

  it('an error replaces the hint, marks the control invalid and describes it', () => {
    const w = field({ hint: 'Letters and digits.', error: 'Taken.', errorTestid: 'error-name' })
    const input = w.get('input')
    const error = w.get('[data-testid="error-name"]')
    expect(error.text()).toBe('Taken.')
    expect(input.attributes('aria-invalid')).toBe('true')
    expect(input.attributes('aria-describedby')).toBe(error.attributes('id'))
    expect(w.find('.field-hint').exists()).toBe(false)
  })

  it('nothing to describe: no aria-describedby at all', () => {
    expect(field({}).get('input').attributes('aria-describedby')).toBeUndefined()
  })

  it('a group is a fieldset with a legend, described by its error', () => {
    const w = mount(BaseField, {
      props: { label: 'Who can join', group: true, error: 'Choose one.' },
      slots: { default: () => h('input', { type: 'radio' }) },
    })
    expect(w.element.tagName).toBe('FIELDSET')
    expect(w.get('legend').text()).toBe('Who can join')
    expect(w.attributes('aria-describedby')).toBe(w.get('.field-error').attributes('id'))
    expect(w.find('label').exists()).toBe(false)
  })

  it('two fields of one form never share ids', () => {
    const input = (f: Bindings) => h('input', { id: f.id })
    const w = mount({
      render: () => h('form', [h(BaseField, { label: 'A' }, { default: input }), h(BaseField, { label: 'B' }, { default: input })]),
    })
    const [a, b] = w.findAll('input').map((i) => i.attributes('id'))
    expect(a).toBeTruthy()
    expect(a).not.toBe(b)
    expect(w.findAll('label').map((l) => l.attributes('for'))).toEqual([a, b])
  })
})
