// A real OpenID provider for astca's interop tests: panva's oidc-provider serving two realms,
// /realms/a and /realms/b, on one HTTP server on 127.0.0.1.
//
//   node provider.mjs [port]      (or OIDC_PROVIDER_PORT; 0 or nothing picks a free port)
//
// Each realm is a Provider of its own with a freshly generated ES256 (P-256) signing key, one
// confidential client (client_credentials, client_secret_basic) and JWT access tokens for a default
// resource, signed with the realm's key. Anything else, /realms/<other> included, answers 404.
// Prints one line on stdout once it serves: "ready http://127.0.0.1:<port>"; everything else it
// logs goes to stderr. Exits when stdin closes (the test process went away) or on SIGTERM/SIGINT.
//
// oidc-provider 9 warns "Unsupported runtime" below Node.js 22 LTS; what these tests use runs on 20.

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';

import { Provider } from 'oidc-provider';

export const REALMS = ['a', 'b'];
export const CLIENT_ID = 'astca-interop';
export const CLIENT_SECRET = 'interop-secret';
export const RESOURCE = 'urn:astca:api';

// oidc-provider prints notices with console.info; stdout carries the ready line only.
console.info = console.error;
console.log = console.error;

function signingKey(realm) {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = privateKey.export({ format: 'jwk' });
  return { ...jwk, kid: `${realm}-${randomBytes(6).toString('hex')}`, alg: 'ES256', use: 'sig' };
}

function realmProvider(issuer, realm) {
  const resourceServer = {
    scope: 'astca',
    audience: RESOURCE,
    accessTokenFormat: 'jwt',
    accessTokenTTL: 300,
    jwt: { sign: { alg: 'ES256' } },
  };
  return new Provider(issuer, {
    jwks: { keys: [signingKey(realm)] },
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    clientDefaults: { id_token_signed_response_alg: 'ES256' },
    ttl: { ClientCredentials: resourceServer.accessTokenTTL },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: async () => RESOURCE,
        useGrantedResource: async () => true,
        getResourceServerInfo: async (_ctx, resourceIndicator) => {
          if (resourceIndicator !== RESOURCE) {
            throw new Provider.errors.InvalidTarget();
          }
          return resourceServer;
        },
      },
    },
  });
}

function notFound(res) {
  res.writeHead(404, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error: 'not_found' }));
}

async function main() {
  const requested = Number.parseInt(process.argv[2] ?? process.env.OIDC_PROVIDER_PORT ?? '0', 10);
  const realms = new Map();
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    const match = /^\/realms\/([^/]+)(\/.*)?$/.exec(url.pathname);
    const callback = match && realms.get(match[1]);
    if (!callback) {
      notFound(res);
      return;
    }
    // Mounted as express mounts it: originalUrl keeps the prefix, url is relative to the mount.
    const prefix = `/realms/${match[1]}`;
    req.originalUrl = req.url;
    req.url = req.url.slice(prefix.length) || '/';
    callback(req, res);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(requested, '127.0.0.1', resolve);
  });
  const base = `http://127.0.0.1:${server.address().port}`;
  for (const realm of REALMS) {
    realms.set(realm, realmProvider(`${base}/realms/${realm}`, realm).callback());
  }

  const stop = () => process.exit(0);
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdin.on('end', stop);
  process.stdin.on('error', stop);
  process.stdin.resume();

  process.stdout.write(`ready ${base}\n`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
