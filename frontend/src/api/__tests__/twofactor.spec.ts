import { describe, expect, it } from 'vitest'
import { ApiError } from '../client'
import { secondStepOf } from '../twofactor'

describe('secondStepOf', () => {
  it('reads the methods and login token of an otp_required refusal', () => {
    const err = new ApiError(401, 'otp_required', 'Enter the code', {}, undefined, {
      code: 'otp_required',
      methods: ['totp', 'recovery', 'passkey'],
      login_token: 'signed',
    })
    expect(secondStepOf(err)).toEqual({ methods: ['totp', 'recovery', 'passkey'], loginToken: 'signed' })
  })

  it('keeps asking after a wrong code (otp_invalid)', () => {
    const err = new ApiError(401, 'otp_invalid', 'Wrong', {}, undefined, { methods: ['totp'], login_token: 't' })
    expect(secondStepOf(err)?.methods).toEqual(['totp'])
  })

  it('is null for any other refusal', () => {
    expect(secondStepOf(new ApiError(400, 'invalid_credentials', 'Wrong username or password.'))).toBeNull()
    expect(secondStepOf(new Error('boom'))).toBeNull()
  })
})
