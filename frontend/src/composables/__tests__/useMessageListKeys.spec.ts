import { describe, expect, it } from 'vitest'
import { ref } from 'vue'
import { useMessageListKeys } from '@/composables/useMessageListKeys'

function list(): HTMLElement {
  const root = document.createElement('div')
  root.tabIndex = 0
  root.innerHTML = `
    <ol>
      <li data-testid="message" tabindex="-1" id="m1">one</li>
      <li data-testid="day-separator">today</li>
      <li data-testid="message" tabindex="-1" id="m2">two <button id="b2">act</button></li>
      <li data-testid="message" id="pending">pending (not focusable)</li>
      <li data-testid="message" tabindex="-1" id="m3">three <textarea id="t3"></textarea>
        <dialog id="d3"><button id="close3">Close</button></dialog></li>
    </ol>`
  document.body.replaceChildren(root)
  return root
}

function press(target: Element, key: string): KeyboardEvent {
  const e = new KeyboardEvent('keydown', { key, bubbles: true, cancelable: true })
  target.dispatchEvent(e)
  return e
}

describe('useMessageListKeys', () => {
  it('moves between focusable messages with the arrows, Home and End; Esc goes back to the list', () => {
    const root = list()
    Element.prototype.scrollIntoView = () => undefined
    root.addEventListener('keydown', useMessageListKeys(ref(root)))
    const id = () => document.activeElement?.id
    root.focus()
    press(root, 'ArrowUp')
    expect(id()).toBe('m3') // from the list: the newest
    press(document.activeElement!, 'ArrowUp')
    expect(id()).toBe('m2') // skipping what cannot take focus
    press(document.getElementById('b2')!, 'ArrowUp') // from a button inside a message
    expect(id()).toBe('m1')
    press(document.activeElement!, 'ArrowUp')
    expect(id()).toBe('m1') // stays at the top
    press(document.activeElement!, 'End')
    expect(id()).toBe('m3')
    press(document.activeElement!, 'Home')
    expect(id()).toBe('m1')
    press(document.activeElement!, 'ArrowDown')
    expect(id()).toBe('m2')
    press(document.activeElement!, 'Escape')
    expect(document.activeElement).toBe(root)
  })

  it('leaves typing, dialogs and modified keys alone', () => {
    const root = list()
    root.addEventListener('keydown', useMessageListKeys(ref(root)))
    const area = document.getElementById('t3') as HTMLTextAreaElement
    area.focus()
    expect(press(area, 'ArrowUp').defaultPrevented).toBe(false)
    expect(document.activeElement).toBe(area)
    // A dialog opened from a message (the image viewer): Esc is the dialog's, to close it.
    expect(press(document.getElementById('close3')!, 'Escape').defaultPrevented).toBe(false)
    root.focus()
    const e = new KeyboardEvent('keydown', { key: 'ArrowUp', ctrlKey: true, bubbles: true, cancelable: true })
    root.dispatchEvent(e)
    expect(e.defaultPrevented).toBe(false)
    expect(document.activeElement).toBe(root)
  })
})
