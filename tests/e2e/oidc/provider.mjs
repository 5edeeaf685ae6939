// A real OpenID Connect provider for the single sign-on browser tests: the certified `oidc-provider`
// package (a test-only npm dependency), with its built-in login and consent pages.
//
//   OIDC_PORT=… OIDC_REDIRECT_URI=http://127.0.0.1:…/auth/oidc/callback node provider.mjs
//
// Prints "ready <issuer>" once it listens. Clients (all confidential, PKCE required, S256 only):
//   logbook            the normal client
//   logbook-expiring   its ID tokens live one second (ttl.IdToken), and the token endpoint answers
//                      only once that second has passed (a slow network, in effect), for the
//                      expired-token test
//   logbook-wrong-aud  its ID tokens are re-signed by this issuer's own key for another audience
//                      (what a token minted for a different application looks like), for the
//                      wrong-audience test
// Accounts: the login name typed on the login page is the account id (any password).
import Provider from 'oidc-provider';
import * as jose from 'jose';

const port = Number(process.env.OIDC_PORT);
const redirectUri = process.env.OIDC_REDIRECT_URI;
if (!port || !redirectUri) throw new Error('set OIDC_PORT and OIDC_REDIRECT_URI');
const issuer = `http://127.0.0.1:${port}`;
const SECRET = 'logbook-test-client-secret';

const { privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
const jwk = { ...(await jose.exportJWK(privateKey)), kid: 'test-signing-key', alg: 'RS256', use: 'sig' };

const ACCOUNTS = {
  amara: { email: 'amara@northshire.example', email_verified: true, name: 'Amara Okafor' },
  newstarter: { email: 'new.starter@northshire.example', email_verified: true, name: 'Nia Starter' },
  outsider: { email: 'sam@elsewhere.example', email_verified: true, name: 'Sam Outsider' },
  unverified: { email: 'una@northshire.example', email_verified: false, name: 'Una Verified' },
  otherorg: { email: 'bea@northshire.example', email_verified: true, name: 'Bea Elsewhere' },
};

const client = (id) => ({
  client_id: id,
  client_secret: SECRET,
  redirect_uris: [redirectUri],
  grant_types: ['authorization_code'],
  response_types: ['code'],
  token_endpoint_auth_method: 'client_secret_basic',
});

const provider = new Provider(issuer, {
  clients: [client('logbook'), client('logbook-expiring'), client('logbook-wrong-aud')],
  jwks: { keys: [jwk] },
  cookies: { keys: ['oidc-test-cookie-key-not-a-secret'] },
  pkce: { required: () => true },
  // email and email_verified in the ID token itself (as Google and Entra ID put them)
  conformIdTokenClaims: false,
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  features: { devInteractions: { enabled: true } },
  ttl: {
    IdToken: (ctx, token, c) => (c.clientId === 'logbook-expiring' ? 1 : 3600),
    AccessToken: 600,
    Grant: 600,
    Interaction: 600,
    Session: 600,
  },
  async findAccount(ctx, id) {
    const account = ACCOUNTS[id];
    if (!account) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...account }; } };
  },
});

// The development login and consent pages link a web font from the internet: the tests reach
// nothing beyond this machine, so the link is taken out of every page.
provider.use(async (ctx, next) => {
  await next();
  if (typeof ctx.body === 'string' && ctx.body.includes('fonts.googleapis.com')) {
    ctx.body = ctx.body.replace(/<link[^>]*fonts\.googleapis\.com[^>]*>/g, '');
  }
});

// logbook-wrong-aud: the token endpoint's ID token, re-signed by this issuer for someone else.
provider.use(async (ctx, next) => {
  await next();
  if (ctx.path === '/token' && ctx.body && ctx.body.id_token && ctx.oidc?.client?.clientId === 'logbook-wrong-aud') {
    const claims = jose.decodeJwt(ctx.body.id_token);
    ctx.body.id_token = await new jose.SignJWT({ ...claims, aud: 'another-application' })
      .setProtectedHeader({ alg: 'RS256', kid: jwk.kid, typ: 'JWT' })
      .sign(privateKey);
  }
});

// logbook-expiring: the token endpoint's answer leaves once its ID token has expired (a timer set
// for the token's own exp, not a guess).
provider.use(async (ctx, next) => {
  await next();
  if (ctx.path === '/token' && ctx.body && ctx.body.id_token && ctx.oidc?.client?.clientId === 'logbook-expiring') {
    const { exp } = jose.decodeJwt(ctx.body.id_token);
    await new Promise((resolve) => { setTimeout(resolve, Math.max(0, exp * 1000 - Date.now()) + 1100); });
  }
});

const server = provider.listen(port, '127.0.0.1', () => {
  process.stdout.write(`ready ${issuer}\n`);
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
