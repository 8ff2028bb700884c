import { t } from '@/i18n'
import { ref } from 'vue'
import { ApiError, type FieldErrors } from '@/api'

/** Submit state + the API's error shape split into a form error and field errors. */
export function useForm() {
  const busy = ref(false)
  const error = ref<string | null>(null)
  const fields = ref<FieldErrors>({})

  async function submit(fn: () => Promise<void>): Promise<boolean> {
    if (busy.value) return false
    busy.value = true
    error.value = null
    fields.value = {}
    try {
      await fn()
      return true
    } catch (err) {
      if (err instanceof ApiError) {
        fields.value = err.fields
        const unnamed = Object.keys(err.fields).filter((k) => k === 'non_field_errors' || k === '__all__')
        const extra = unnamed.flatMap((k) => err.fields[k] ?? [])
        error.value = extra.length ? extra.join(' ') : Object.keys(err.fields).length ? null : err.message
      } else {
        error.value = t('errors.generic')
        console.error(err)
      }
      return false
    } finally {
      busy.value = false
    }
  }

  function fieldError(name: string): string | undefined {
    return fields.value[name]?.join(' ')
  }

  return { busy, error, fields, submit, fieldError }
}
