/**
 * `POST rooms/{id}/uploads` with upload progress. fetch() cannot report the
 * progress of a request body, so this one call uses XMLHttpRequest; CSRF and the
 * error shape are handled as in client.ts.
 */
import { API_BASE, ApiError, ensureCsrf, readCookie, type FieldErrors } from './client'
import type { Attachment } from './types'
import { currentLocale, t } from '@/i18n'

export interface UploadHandle {
  promise: Promise<Attachment>
  abort: () => void
}

function errorOf(xhr: XMLHttpRequest): ApiError {
  let code = 'http_' + xhr.status
  let message = t('errors.uploadFailed')
  let fields: FieldErrors = {}
  try {
    const data = JSON.parse(xhr.responseText) as { error?: { code?: string; message?: string; fields?: FieldErrors } }
    if (data.error) {
      code = data.error.code ?? code
      message = data.error.message ?? message
      fields = data.error.fields ?? {}
    }
  } catch {
    // not JSON (a proxy's page): keep the status text
  }
  if (xhr.status === 429) {
    const wait = Number(xhr.getResponseHeader('Retry-After'))
    if (wait > 0)
      message = wait < 120 ? t('errors.tooManyUploadsSeconds', { n: wait }) : t('errors.tooManyUploadsMinutes', { n: Math.ceil(wait / 60) })
  }
  if (xhr.status === 413 && code.startsWith('http_')) message = t('errors.fileTooLarge')
  return new ApiError(xhr.status, code, message, fields)
}

/** Upload one file to a room; `onProgress` gets 0..1 as the body is sent. */
export function uploadFile(roomId: number, file: File, onProgress: (done: number) => void): UploadHandle {
  const xhr = new XMLHttpRequest()
  let aborted = false // before the request is even open (the CSRF cookie is still coming)
  const promise = ensureCsrf().then(
    () =>
      new Promise<Attachment>((resolve, reject) => {
        if (aborted) {
          reject(new ApiError(0, 'aborted', t('errors.uploadCancelled')))
          return
        }
        xhr.open('POST', `${API_BASE}rooms/${roomId}/uploads`)
        xhr.setRequestHeader('Accept', 'application/json')
        xhr.setRequestHeader('Accept-Language', currentLocale())
        const token = readCookie('csrftoken')
        if (token) xhr.setRequestHeader('X-CSRFToken', token)
        xhr.upload.onprogress = (e) => {
          if (e.lengthComputable && e.total > 0) onProgress(e.loaded / e.total)
        }
        xhr.onload = () => {
          if (xhr.status === 201) {
            onProgress(1)
            resolve(JSON.parse(xhr.responseText) as Attachment)
          } else reject(errorOf(xhr))
        }
        xhr.onerror = () => reject(new ApiError(0, 'network', t('errors.network')))
        xhr.onabort = () => reject(new ApiError(0, 'aborted', t('errors.uploadCancelled')))
        const form = new FormData()
        form.append('file', file, file.name || 'pasted-image.png')
        xhr.send(form)
      }),
  )
  return {
    promise,
    abort: () => {
      aborted = true
      xhr.abort()
    },
  }
}
