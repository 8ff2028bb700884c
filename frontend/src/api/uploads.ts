/**
 * Uploads with progress. fetch() cannot report the progress of a request body, so the
 * bytes go with XMLHttpRequest; CSRF and the error shape are handled as in client.ts.
 *
 * Where the server keeps files in an S3-compatible store, the bytes go straight there
 * (issue 34): `POST rooms/{id}/uploads/presign`, a PUT to the address it gives, then
 * `POST uploads/presigned/{key}/complete`. A server without one answers the presign
 * with 404 `presigned_uploads_off`, and the page then uses `POST rooms/{id}/uploads`
 * (multipart) for the rest of its life.
 */
import { API_BASE, ApiError, ensureCsrf, readCookie, type FieldErrors } from './client'
import type { Attachment } from './types'
import { currentLocale, t } from '@/i18n'

export interface UploadHandle {
  promise: Promise<Attachment>
  abort: () => void
}

interface Ticket {
  key: string
  url: string
  method: 'PUT'
  headers: Record<string, string>
}

/** Learned from the server's first answer: does it take presigned uploads? */
let presigned: boolean | null = null

/** For tests: forget what the server said. */
export function forgetUploadRoute(): void {
  presigned = null
}

function errorOf(xhr: XMLHttpRequest): ApiError {
  let code = 'http_' + xhr.status
  let message = t('errors.uploadFailed')
  let fields: FieldErrors = {}
  try {
    const data = JSON.parse(xhr.responseText) as {
      error?: { code?: string; message?: string; fields?: FieldErrors }
    }
    if (data.error) {
      code = data.error.code ?? code
      message = data.error.message ?? message
      fields = data.error.fields ?? {}
    }
  } catch {
    // not JSON (a proxy's page, or the store's XML): keep the status text
  }
  if (xhr.status === 429) {
    const wait = Number(xhr.getResponseHeader('Retry-After'))
    if (wait > 0)
      message = wait < 120 ? t('errors.tooManyUploadsSeconds', { n: wait }) : t('errors.tooManyUploadsMinutes', { n: Math.ceil(wait / 60) })
  }
  if (xhr.status === 413 && code.startsWith('http_')) message = t('errors.fileTooLarge')
  return new ApiError(xhr.status, code, message, fields)
}

interface Step {
  method: string
  url: string
  body: Document | XMLHttpRequestBodyInit | null
  /** Parley's own endpoints carry CSRF and the language; the store gets only `headers`. */
  parley: boolean
  headers?: Record<string, string>
  onProgress?: (done: number) => void
}

/** Upload one file to a room; `onProgress` gets 0..1 as the body is sent. */
export function uploadFile(roomId: number, file: File, onProgress: (done: number) => void): UploadHandle {
  let xhr = new XMLHttpRequest()
  let aborted = false // before a request is even open (the CSRF cookie is still coming)
  const name = file.name || 'pasted-image.png'

  const run = (step: Step, fresh: boolean): Promise<XMLHttpRequest> =>
    new Promise<XMLHttpRequest>((resolve, reject) => {
      if (aborted) {
        reject(new ApiError(0, 'aborted', t('errors.uploadCancelled')))
        return
      }
      if (fresh) xhr = new XMLHttpRequest()
      const current = xhr
      current.open(step.method, step.url)
      if (step.parley) {
        current.setRequestHeader('Accept', 'application/json')
        current.setRequestHeader('Accept-Language', currentLocale())
        const token = readCookie('csrftoken')
        if (token) current.setRequestHeader('X-CSRFToken', token)
      }
      for (const [k, v] of Object.entries(step.headers ?? {})) current.setRequestHeader(k, v)
      const progress = step.onProgress
      if (progress)
        current.upload.onprogress = (e) => {
          if (e.lengthComputable && e.total > 0) progress(e.loaded / e.total)
        }
      current.onload = () => resolve(current)
      current.onerror = () => reject(new ApiError(0, 'network', t('errors.network')))
      current.onabort = () => reject(new ApiError(0, 'aborted', t('errors.uploadCancelled')))
      current.send(step.body)
    })

  const multipart = async (fresh: boolean): Promise<Attachment> => {
    const form = new FormData()
    form.append('file', file, name)
    const done = await run(
      {
        method: 'POST',
        url: `${API_BASE}rooms/${roomId}/uploads`,
        body: form,
        parley: true,
        onProgress,
      },
      fresh,
    )
    if (done.status !== 201) throw errorOf(done)
    onProgress(1)
    return JSON.parse(done.responseText) as Attachment
  }

  const straightToStore = async (): Promise<Attachment | null> => {
    const asked = await run(
      {
        method: 'POST',
        url: `${API_BASE}rooms/${roomId}/uploads/presign`,
        body: JSON.stringify({
          name,
          size: file.size,
          content_type: file.type || 'application/octet-stream',
        }),
        parley: true,
        headers: { 'Content-Type': 'application/json' },
      },
      false,
    )
    if (asked.status === 404) {
      const off = errorOf(asked).code === 'presigned_uploads_off'
      if (off) presigned = false
      return null // the multipart path answers for itself (a missing room included)
    }
    if (asked.status !== 201) throw errorOf(asked)
    presigned = true
    const ticket = JSON.parse(asked.responseText) as Ticket
    const stored = await run(
      {
        method: ticket.method,
        url: ticket.url,
        body: file,
        parley: false,
        headers: ticket.headers,
        onProgress,
      },
      true,
    )
    if (stored.status < 200 || stored.status >= 300) throw new ApiError(stored.status, 'store_refused', t('errors.uploadFailed'))
    const done = await run(
      {
        method: 'POST',
        url: `${API_BASE}uploads/presigned/${encodeURIComponent(ticket.key)}/complete`,
        body: null,
        parley: true,
      },
      true,
    )
    if (done.status !== 201) throw errorOf(done)
    onProgress(1)
    return JSON.parse(done.responseText) as Attachment
  }

  const promise = ensureCsrf().then(async () => {
    if (presigned === false) return multipart(false)
    return (await straightToStore()) ?? multipart(true)
  })
  return {
    promise,
    abort: () => {
      aborted = true
      xhr.abort()
    },
  }
}
