// A real OpenID provider (panva/oidc-provider, OpenID Certified) on loopback,
// for Sextant's SSO tests only. One process serves several issuers.
//
//   node provider.mjs config.json
//
// config.json: {"providers": [{"clients": [{client_id, client_secret, redirect_uris}],
//                               "users": {"<login>": {email, email_verified, name, tamper}}}]}
// Prints one JSON line per issuer when it listens: {"ready": true, "issuer": "http://127.0.0.1:PORT"}.
// The login form accepts any password; a user's login is their `sub`, and their
// email defaults to the login. Unknown logins are accepted as plain users.
//
// `tamper` re-signs that user's id_token in the /token answer so the relying
// party's refusals can be tested: aud, iss, exp, sig (another key, same kid),
// kid (a key id not in the JWKS), nonce, sub (differs from userinfo's sub),
// alg (HS256 keyed with the client secret: algorithm confusion).
import http from 'node:http';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Provider from 'oidc-provider';
import { SignJWT, importJWK, decodeJwt, decodeProtectedHeader } from 'jose';

const HOST = '127.0.0.1';
const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));

function newSigningKey(kid) {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' };
}

function account(users, id) {
  const user = users[id] || {};
  return {
    accountId: id,
    async claims() {
      return {
        sub: id,
        email: user.email ?? id,
        email_verified: user.email_verified ?? true,
        name: user.name ?? id.split('@')[0],
        preferred_username: user.preferred_username ?? id.split('@')[0],
      };
    },
  };
}

async function tamperIdToken(body, users, keys, clientSecret) {
  const claims = decodeJwt(body.id_token);
  const mode = users[claims.sub]?.tamper;
  if (!mode) return body;
  const header = { alg: 'RS256', typ: 'JWT', kid: decodeProtectedHeader(body.id_token).kid };
  let key = keys.real;
  const now = Math.floor(Date.now() / 1000);
  if (mode === 'aud') claims.aud = 'another-application';
  else if (mode === 'iss') claims.iss = 'http://127.0.0.1:9/another-issuer';
  else if (mode === 'exp') Object.assign(claims, { iat: now - 7200, exp: now - 3600 });
  else if (mode === 'sig') key = keys.rogue;
  else if (mode === 'kid') header.kid = 'a-key-nobody-published';
  else if (mode === 'nonce') claims.nonce = 'a-different-nonce';
  else if (mode === 'sub') claims.sub = `${claims.sub}-impostor`;
  else if (mode === 'alg') { header.alg = 'HS256'; key = new TextEncoder().encode(clientSecret); }
  else throw new Error(`unknown tamper mode ${mode}`);
  return { ...body, id_token: await new SignJWT(claims).setProtectedHeader(header).sign(key) };
}

async function serve(spec) {
  const server = http.createServer();
  await new Promise((resolve) => server.listen(0, HOST, resolve));
  const issuer = `http://${HOST}:${server.address().port}`;
  const users = spec.users || {};
  const signingKey = newSigningKey(`key-${randomBytes(4).toString('hex')}`);
  const provider = new Provider(issuer, {
    clients: spec.clients.map((client) => ({
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_post',
      id_token_signed_response_alg: 'RS256',
      ...client,
    })),
    jwks: { keys: [signingKey] },
    cookies: { keys: [randomBytes(16).toString('hex')] },
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'preferred_username'],
    },
    features: { devInteractions: { enabled: true } },
    ttl: { AccessToken: 300, AuthorizationCode: 60, IdToken: 300, Interaction: 600, Session: 600, Grant: 600 },
    findAccount: async (ctx, id) => account(users, id),
  });
  const keys = {
    real: await importJWK(signingKey, 'RS256'),
    rogue: await importJWK(newSigningKey(signingKey.kid), 'RS256'),
  };
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.oidc?.route === 'token' && ctx.body?.id_token) {
      ctx.body = await tamperIdToken(ctx.body, users, keys, ctx.oidc.client.clientSecret);
    }
  });
  server.on('request', provider.callback());
  console.log(JSON.stringify({ ready: true, issuer }));
  return server;
}

const servers = [];
for (const spec of config.providers) servers.push(await serve(spec));
const stop = () => { for (const s of servers) s.close(); process.exit(0); };
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
