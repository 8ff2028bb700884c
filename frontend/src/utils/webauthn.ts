/**
 * Passkeys in the browser: the WebAuthn API (`navigator.credentials`) used directly. The
 * server's options arrive as JSON with binary fields in base64url (py_webauthn's
 * `options_to_json`); these helpers turn them into the ArrayBuffers the API takes and the
 * credential it returns back into JSON the server verifies. No library: the mapping is
 * these few fields, and `PublicKeyCredential.parseCreationOptionsFromJSON` is not in every
 * browser yet.
 */

type Json = Record<string, unknown>

export function toBase64url(buffer: ArrayBuffer | ArrayBufferView): string {
  const bytes = buffer instanceof ArrayBuffer ? new Uint8Array(buffer) : new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)
  let text = ''
  for (const b of bytes) text += String.fromCharCode(b)
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

export function fromBase64url(value: string): ArrayBuffer {
  const base64 = value.replace(/-/g, '+').replace(/_/g, '/')
  const padded = base64 + '='.repeat((4 - (base64.length % 4)) % 4)
  const text = atob(padded)
  const bytes = new Uint8Array(text.length)
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i)
  return bytes.buffer
}

/** Whether this browser can use passkeys at all (a secure context with WebAuthn). */
export function passkeysSupported(): boolean {
  return typeof window !== 'undefined' && window.isSecureContext && typeof window.PublicKeyCredential === 'function'
}

function descriptors(list: unknown): PublicKeyCredentialDescriptor[] | undefined {
  if (!Array.isArray(list)) return undefined
  return list.map((d: Json) => ({
    type: 'public-key' as const,
    id: fromBase64url(String(d.id)),
    ...(Array.isArray(d.transports) ? { transports: d.transports as AuthenticatorTransport[] } : {}),
  }))
}

/** `PublicKeyCredentialCreationOptionsJSON` → what `navigator.credentials.create` takes. */
export function creationOptions(json: Json): PublicKeyCredentialCreationOptions {
  const user = json.user as Json
  return {
    ...(json as unknown as PublicKeyCredentialCreationOptions),
    challenge: fromBase64url(String(json.challenge)),
    user: { id: fromBase64url(String(user.id)), name: String(user.name), displayName: String(user.displayName) },
    excludeCredentials: descriptors(json.excludeCredentials) ?? [],
  }
}

/** `PublicKeyCredentialRequestOptionsJSON` → what `navigator.credentials.get` takes. */
export function requestOptions(json: Json): PublicKeyCredentialRequestOptions {
  return {
    ...(json as unknown as PublicKeyCredentialRequestOptions),
    challenge: fromBase64url(String(json.challenge)),
    allowCredentials: descriptors(json.allowCredentials) ?? [],
  }
}

function credentialJson(credential: PublicKeyCredential, response: Json): Json {
  return {
    id: credential.id,
    rawId: toBase64url(credential.rawId),
    type: credential.type,
    response,
    clientExtensionResults: credential.getClientExtensionResults(),
    authenticatorAttachment: credential.authenticatorAttachment ?? undefined,
  }
}

/** Create a passkey with the server's options; the credential as the server reads it. */
export async function createPasskey(options: Json): Promise<Json> {
  const credential = (await navigator.credentials.create({ publicKey: creationOptions(options) })) as PublicKeyCredential | null
  if (!credential) throw new DOMException('No passkey was created.', 'NotAllowedError')
  const response = credential.response as AuthenticatorAttestationResponse
  return credentialJson(credential, {
    clientDataJSON: toBase64url(response.clientDataJSON),
    attestationObject: toBase64url(response.attestationObject),
    transports: typeof response.getTransports === 'function' ? response.getTransports() : [],
  })
}

/** Sign the server's challenge with a passkey; the assertion as the server reads it. */
export async function usePasskey(options: Json): Promise<Json> {
  const credential = (await navigator.credentials.get({ publicKey: requestOptions(options) })) as PublicKeyCredential | null
  if (!credential) throw new DOMException('No passkey was used.', 'NotAllowedError')
  const response = credential.response as AuthenticatorAssertionResponse
  return credentialJson(credential, {
    clientDataJSON: toBase64url(response.clientDataJSON),
    authenticatorData: toBase64url(response.authenticatorData),
    signature: toBase64url(response.signature),
    userHandle: response.userHandle ? toBase64url(response.userHandle) : null,
  })
}
