import { describe, expect, it } from 'vitest'
import { creationOptions, fromBase64url, requestOptions, toBase64url } from '../webauthn'

describe('base64url', () => {
  it('round-trips every byte value without padding or +/', () => {
    const bytes = new Uint8Array(256).map((_, i) => i)
    const text = toBase64url(bytes)
    expect(text).not.toMatch(/[+/=]/)
    expect(new Uint8Array(fromBase64url(text))).toEqual(bytes)
  })

  it('reads what py_webauthn writes', () => {
    expect(new TextDecoder().decode(fromBase64url('aGVsbG8'))).toBe('hello')
    expect(toBase64url(new Uint8Array([0xfb, 0xff]))).toBe('-_8')
  })
})

describe('options', () => {
  it('turns the creation options binary fields into buffers', () => {
    const options = creationOptions({
      challenge: 'aGVsbG8',
      rp: { id: 'localhost', name: 'Parley' },
      user: { id: 'NDI', name: 'ann', displayName: 'Ann' },
      pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
      excludeCredentials: [{ type: 'public-key', id: 'AQI', transports: ['internal'] }],
    })
    expect(new TextDecoder().decode(options.challenge as ArrayBuffer)).toBe('hello')
    expect(new TextDecoder().decode(options.user.id as ArrayBuffer)).toBe('42')
    expect(new Uint8Array(options.excludeCredentials![0]!.id as ArrayBuffer)).toEqual(new Uint8Array([1, 2]))
    expect(options.rp.id).toBe('localhost')
  })

  it('leaves allowCredentials empty for a passkey that signs in alone', () => {
    const options = requestOptions({ challenge: 'aGVsbG8', rpId: 'localhost', userVerification: 'required' })
    expect(options.allowCredentials).toEqual([])
    expect(options.userVerification).toBe('required')
  })
})
