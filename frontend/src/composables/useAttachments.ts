/**
 * The composer's files waiting to be sent: each uploads as soon as it is added
 * (button, drop or paste), shows its progress, and can be removed before sending.
 * Only uploaded files go with the message; errors stay on their item until removed.
 */
import { t } from '@/i18n'
import { computed, onScopeDispose, reactive } from 'vue'
import { ApiError } from '@/api/client'
import type { Attachment } from '@/api/types'
import { uploadFile, type UploadHandle } from '@/api/uploads'

/** The server refuses more on one message. */
export const MAX_ATTACHMENTS = 10

export interface PendingFile {
  key: number
  name: string
  size: number
  /** 0..1 while uploading. */
  progress: number
  status: 'uploading' | 'done' | 'error'
  error: string | null
  attachment: Attachment | null
  /** A local preview of an image (an object URL), revoked when the item goes. */
  preview: string | null
}

let nextKey = 1

export function useAttachments(roomId: () => number, upload = uploadFile) {
  const items = reactive<PendingFile[]>([])
  const handles = new Map<number, UploadHandle>()

  const ready = computed(() => items.filter((i) => i.status === 'done').map((i) => i.attachment!))
  const busy = computed(() => items.some((i) => i.status === 'uploading'))
  const failed = computed(() => items.some((i) => i.status === 'error'))

  function add(files: Iterable<File>): void {
    for (const file of files) {
      const item = reactive<PendingFile>({
        key: nextKey++,
        name: file.name,
        size: file.size,
        progress: 0,
        status: 'uploading',
        error: null,
        attachment: null,
        preview: file.type.startsWith('image/') && typeof URL.createObjectURL === 'function' ? URL.createObjectURL(file) : null,
      })
      items.push(item)
      if (items.length > MAX_ATTACHMENTS) {
        item.status = 'error'
        item.error = t('attachments.tooMany', { n: MAX_ATTACHMENTS })
        continue
      }
      const handle = upload(roomId(), file, (done) => {
        item.progress = done
      })
      handles.set(item.key, handle)
      handle.promise.then(
        (attachment) => {
          item.status = 'done'
          item.attachment = attachment
        },
        (err: unknown) => {
          if (err instanceof ApiError && err.code === 'aborted') return
          item.status = 'error'
          item.error = err instanceof ApiError ? err.message : t('errors.uploadFailed')
        },
      ).finally(() => handles.delete(item.key))
    }
  }

  function forget(item: PendingFile): void {
    if (item.preview) URL.revokeObjectURL(item.preview)
  }

  function remove(key: number): void {
    const at = items.findIndex((i) => i.key === key)
    if (at === -1) return
    handles.get(key)?.abort()
    forget(items[at]!)
    items.splice(at, 1)
  }

  /** After a send: the sent files leave the tray (failed ones stay to be seen and removed). */
  function takeReady(): Attachment[] {
    const sent = ready.value
    for (const item of items.filter((i) => i.status === 'done')) remove(item.key)
    return sent
  }

  function clear(): void {
    for (const item of [...items]) remove(item.key)
  }

  onScopeDispose(clear)

  return { items, ready, busy, failed, add, remove, takeReady, clear }
}
