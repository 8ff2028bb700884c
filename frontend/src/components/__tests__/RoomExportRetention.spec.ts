import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import RoomExportSection from '@/components/RoomExportSection.vue'
import RoomRetentionField from '@/components/RoomRetentionField.vue'
import RoomRetentionNote from '@/components/RoomRetentionNote.vue'
import { jsonResponse, makeRoom, mockFetch } from '@/test-utils/fakes'

const policy = { default_days: 30, min_days: 2, max_days: 400 }

describe('room retention', () => {
  beforeEach(() => setActivePinia(createPinia()))
  afterEach(() => vi.unstubAllGlobals())

  it('tells members the room keeps its own setting, else the server default, else forever', async () => {
    const own = mount(RoomRetentionNote, { props: { room: makeRoom({ retention_days: 7, retention_policy: policy }) } })
    expect(own.text()).toBe("Messages are kept for 7 days (set by the room's owner)")
    const server = mount(RoomRetentionNote, { props: { room: makeRoom({ retention_days: null, retention_policy: policy }) } })
    expect(server.text()).toContain('kept for 30 days')
    expect(server.text()).toContain("server's default")
    const forever = mount(RoomRetentionNote, {
      props: { room: makeRoom({ retention_days: null, retention_policy: { ...policy, default_days: null } }) },
    })
    expect(forever.text()).toContain('kept until someone deletes them')
  })

  it('lets the owner choose days and shows the server refusal', async () => {
    const fetch = mockFetch()
    fetch.route('PATCH rooms/1', () =>
      jsonResponse(400, {
        error: { code: 'retention_out_of_bounds', message: 'Out', fields: { retention_days: ['Between 2 and 400 days.'] } },
      }),
    )
    const w = mount(RoomRetentionField, { props: { room: makeRoom({ id: 1, retention_days: null, retention_policy: policy }) } })
    expect(w.text()).toContain('Server default (30 days)')
    await w.get('[data-testid="retention-custom"]').setValue(true)
    await w.get('[data-testid="retention-days"]').setValue('500')
    await w.get('[data-testid="retention-save"]').trigger('click')
    await flushPromises()
    expect(fetch.callsTo('PATCH rooms/1')[0]?.body).toEqual({ retention_days: 500 })
    expect(w.text()).toContain('Between 2 and 400 days.')
  })
})

describe('room export', () => {
  beforeEach(() => {
    setActivePinia(createPinia())
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
    vi.unstubAllGlobals()
  })

  it('shows the job progress while the server answers 202, then a download link', async () => {
    const fetch = mockFetch()
    const answers = [
      jsonResponse(202, { id: 9, room: 1, state: 'queued', progress: 0, done: 0, total: 2000, files: true, created_at: '', status_url: '' }),
      jsonResponse(202, { id: 9, room: 1, state: 'running', progress: 0.5, done: 1000, total: 2000, files: true, created_at: '', status_url: '' }),
      new Response('{"format": "parley-room-export"}', { status: 200, headers: { 'Content-Type': 'application/zip' } }),
    ]
    fetch.route('GET rooms/1/export', () => answers.shift())
    const w = mount(RoomExportSection, { props: { room: makeRoom({ id: 1 }) } })
    await w.get('[data-testid="export-files"]').setValue(true)
    await w.get('[data-testid="export-start"]').trigger('click')
    await flushPromises()
    expect(w.get('[data-testid="export-progress"]').text()).toContain('Waiting to start')
    await vi.advanceTimersByTimeAsync(1000)
    await flushPromises()
    expect(w.get('[data-testid="export-progress"]').text()).toContain('1,000 of 2,000 messages')
    expect(w.get('progress').attributes('value')).toBe('50')
    await vi.advanceTimersByTimeAsync(1000)
    await flushPromises()
    expect(w.find('[data-testid="export-progress"]').exists()).toBe(false)
    expect(w.get('[data-testid="export-download"]').attributes('href')).toBe('/api/v1/rooms/1/export?files=true')
    expect(fetch.callsTo('GET rooms/1/export').map((c) => c.url.searchParams.get('files'))).toEqual(['true', 'true', 'true'])
  })
})
