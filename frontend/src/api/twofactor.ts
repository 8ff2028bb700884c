/**
 * Two-factor endpoints (`me/2fa`, `auth/passkey`): an authenticator app, recovery codes
 * and passkeys. Typed by the generated schema like the rest of `api`.
 */
import { ApiError, call, rest } from './client'
import type { components } from './schema.gen'

type Schemas = components['schemas']
export type SecondFactors = Schemas['SecondFactorsOut']
export type Passkey = Schemas['PasskeyOut']
export type TotpEnrolment = Schemas['TotpEnrolOut']
type Json = Record<string, unknown>

/** What the password step answered when the account has a second factor. */
export interface SecondStep {
  methods: string[]
  loginToken: string
}

/** The second step a sign-in's refusal asks for, or null when it is another refusal. */
export function secondStepOf(err: unknown): SecondStep | null {
  if (!(err instanceof ApiError) || (err.code !== 'otp_required' && err.code !== 'otp_invalid')) return null
  const methods = Array.isArray(err.detail.methods) ? (err.detail.methods as string[]) : []
  return { methods, loginToken: String(err.detail.login_token ?? '') }
}

function none(): void {}

export const twoFactorApi = {
  status: () => call(rest.GET('/api/v1/me/2fa')),
  totpBegin: () => call(rest.POST('/api/v1/me/2fa/totp')),
  totpConfirm: (code: string) => call(rest.POST('/api/v1/me/2fa/totp/confirm', { body: { code } })),
  totpDisable: (password: string, code: string) =>
    call(rest.DELETE('/api/v1/me/2fa', { body: { password, code } })).then(none),
  recoveryRegenerate: (password: string, code: string) =>
    call(rest.POST('/api/v1/me/2fa/recovery-codes', { body: { password, code } })),
  passkeyOptions: (password: string, passwordless: boolean) =>
    call(rest.POST('/api/v1/me/2fa/passkeys/options', { body: { password, passwordless } })),
  passkeyAdd: (ticket: string, credential: Json, name: string) =>
    call(rest.POST('/api/v1/me/2fa/passkeys', { body: { ticket, credential, name } })),
  passkeyRename: (id: number, name: string) =>
    call(rest.PATCH('/api/v1/me/2fa/passkeys/{passkey_id}', { params: { path: { passkey_id: id } }, body: { name } })),
  passkeyRemove: (id: number, password: string) =>
    call(rest.DELETE('/api/v1/me/2fa/passkeys/{passkey_id}', { params: { path: { passkey_id: id } }, body: { password } })).then(
      none,
    ),
  /** The password step again with a code (TOTP or recovery); quiet: a 401 here is not a lost session. */
  loginWithCode: (username: string, password: string, otp: string) =>
    call(rest.POST('/api/v1/auth/login', { body: { username, password, otp } }), { quiet401: true }),
  /** With the password step's `login_token`: the passkey as second factor; without: a passkey alone. */
  passkeyLoginOptions: (loginToken?: string) =>
    call(rest.POST('/api/v1/auth/passkey/options', { body: loginToken ? { login_token: loginToken } : {} })),
  passkeyLogin: (ticket: string, credential: Json) =>
    call(rest.POST('/api/v1/auth/passkey/login', { body: { ticket, credential } })),
}
