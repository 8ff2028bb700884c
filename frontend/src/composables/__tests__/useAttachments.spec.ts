import { describe, expect, it } from 'vitest'
import { effectScope } from 'vue'
import { ApiError } from '@/api/client'
import type { Attachment } from '@/api/types'
import type { UploadHandle } from '@/api/uploads'
import { MAX_ATTACHMENTS, useAttachments } from '@/composables/useAttachments'

interface Call {
  room: number
  file: File
  progress: (done: number) => void
  resolve: (a: Attachment) => void
  reject: (e: unknown) => void
  aborted: boolean
}

function fakeUpload() {
  const calls: Call[] = []
  const upload = (room: number, file: File, progress: (done: number) => void): UploadHandle => {
    let resolve!: (a: Attachment) => void
    let reject!: (e: unknown) => void
    const promise = new Promise<Attachment>((res, rej) => {
      resolve = res
      reject = rej
    })
    const call: Call = { room, file, progress, resolve, reject, aborted: false }
    calls.push(call)
    return {
      promise,
      abort: () => {
        call.aborted = true
        reject(new ApiError(0, 'aborted', 'The upload was cancelled.'))
      },
    }
  }
  return { calls, upload }
}

const attachment = (id: number, name = 'a.txt'): Attachment => ({
  id,
  url: `/api/v1/uploads/${id}/${name}`,
  name,
  size: 3,
  content_type: 'text/plain',
  width: null,
  height: null,
  thumbnail_url: null,
})

const file = (name: string) => new File(['abc'], name, { type: 'text/plain' })
const tick = () => new Promise((r) => setTimeout(r, 0))

function setup() {
  const fake = fakeUpload()
  const scope = effectScope()
  const files = scope.run(() => useAttachments(() => 7, fake.upload))!
  return { ...fake, files, scope }
}

describe('useAttachments', () => {
  it('uploads each file at once, shows progress, and is busy until all are done', async () => {
    const { calls, files } = setup()
    files.add([file('a.txt'), file('b.txt')])
    expect(calls.map((c) => [c.room, c.file.name])).toEqual([
      [7, 'a.txt'],
      [7, 'b.txt'],
    ])
    expect(files.busy.value).toBe(true)
    calls[0]!.progress(0.5)
    expect(files.items[0]!.progress).toBe(0.5)
    calls[0]!.resolve(attachment(1))
    await tick()
    expect(files.ready.value.map((a) => a.id)).toEqual([1])
    expect(files.busy.value).toBe(true)
    calls[1]!.resolve(attachment(2, 'b.txt'))
    await tick()
    expect(files.busy.value).toBe(false)
    expect(files.takeReady().map((a) => a.id)).toEqual([1, 2])
    expect(files.items).toHaveLength(0)
  })

  it('shows the server’s refusal on the file and keeps it out of the message', async () => {
    const { calls, files } = setup()
    files.add([file('big.bin'), file('ok.txt')])
    calls[0]!.reject(new ApiError(413, 'file_too_large', 'The file is too large: files are limited to 25 MiB.'))
    calls[1]!.resolve(attachment(5, 'ok.txt'))
    await tick()
    expect(files.items[0]).toMatchObject({ status: 'error', error: 'The file is too large: files are limited to 25 MiB.' })
    expect(files.failed.value).toBe(true)
    expect(files.takeReady().map((a) => a.id)).toEqual([5])
    expect(files.items.map((i) => i.name)).toEqual(['big.bin']) // stays to be read, then removed
    files.remove(files.items[0]!.key)
    expect(files.items).toHaveLength(0)
  })

  it('removing a file that is still uploading cancels the upload, and no error is shown', async () => {
    const { calls, files } = setup()
    files.add([file('a.txt')])
    files.remove(files.items[0]!.key)
    await tick()
    expect(calls[0]!.aborted).toBe(true)
    expect(files.items).toHaveLength(0)
  })

  it(`refuses more than ${MAX_ATTACHMENTS} files without uploading them`, () => {
    const { calls, files } = setup()
    files.add(Array.from({ length: MAX_ATTACHMENTS + 2 }, (_, i) => file(`f${i}.txt`)))
    expect(calls).toHaveLength(MAX_ATTACHMENTS)
    expect(files.items.filter((i) => i.status === 'error')).toHaveLength(2)
  })

  it('cancels what is still uploading when the composer goes away', () => {
    const { calls, files, scope } = setup()
    files.add([file('a.txt')])
    scope.stop()
    expect(calls[0]!.aborted).toBe(true)
  })
})
