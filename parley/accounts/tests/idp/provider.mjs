// A real OpenID Connect provider for Parley's sign-in tests: the OpenID Foundation-certified
// `oidc-provider`, on loopback, with its own development login and consent pages.
//
//   IDP_PORT=<port> IDP_CLIENTS='[{client_id, client_secret, redirect_uris}]' \
//   IDP_ACCOUNTS='{"<login>": {<claims>}}' node provider.mjs
//
// A login the accounts do not name signs in with only its `sub`. It prints "listening" once
// it accepts connections.
import Provider from 'oidc-provider'

const port = Number(process.env.IDP_PORT)
const issuer = `http://127.0.0.1:${port}`
const accounts = JSON.parse(process.env.IDP_ACCOUNTS || '{}')
const clients = JSON.parse(process.env.IDP_CLIENTS || '[]').map((c) => ({
  grant_types: ['authorization_code'],
  response_types: ['code'],
  token_endpoint_auth_method: 'client_secret_basic',
  ...c,
}))

const provider = new Provider(issuer, {
  clients,
  // Every client must send a PKCE challenge (S256 is the only method oidc-provider takes).
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true } },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'preferred_username'],
  },
  cookies: { keys: ['parley-test-idp-cookie-key'] },
  async findAccount(_ctx, id) {
    return {
      accountId: id,
      async claims() {
        return { sub: id, ...(accounts[id] || {}) }
      },
    }
  },
})
provider.on('server_error', (_ctx, err) => console.error('server_error', err))

provider.listen(port, '127.0.0.1', () => console.log(`listening ${issuer}`))
