/** The words for how someone signed in (the sign-in log's `method`, issue 31). */
import { t } from '@/i18n'

const METHODS = {
  password: 'signIns.method.password',
  ldap: 'signIns.method.ldap',
  oidc: 'signIns.method.oidc',
  passkey: 'signIns.method.passkey',
  register: 'signIns.method.register',
  guest: 'signIns.method.guest',
} as const

/** "Password", "Single sign-on", …; a method this client does not know yet is shown as sent. */
export function signInMethodLabel(method: string | null | undefined): string {
  if (!method) return ''
  return method in METHODS ? t(METHODS[method as keyof typeof METHODS]) : method
}
