// A real OpenID Provider for the test suite: panva's certified oidc-provider, on 127.0.0.1.
//
// Started by the `oidc_provider` fixture (tests/oidc.py). It listens on a free port, then prints one line
// `issuer <url>` so the fixture knows where it is. Clients register themselves through dynamic client
// registration (protected by REGISTRATION_TOKEN), because the portal's redirect URI contains a port that is
// only known once the test's web server runs.
//
// Sign-in uses oidc-provider's development interactions: a login form that accepts any login and password,
// then a consent page. The login typed is the account: it is its `sub` and, when it looks like an
// e-mail address, it is the account's e-mail; an e-mail starting with "unverified." has email_verified false.
import http from 'node:http';
import Provider from 'oidc-provider';

const registrationToken = process.env.REGISTRATION_TOKEN;
if (!registrationToken) {
  console.error('set REGISTRATION_TOKEN');
  process.exit(2);
}

function account(login) {
  const email = login.includes('@') ? login : undefined;
  return {
    accountId: login,
    async claims() {
      return {
        sub: login,
        email,
        email_verified: email ? !email.startsWith('unverified.') : undefined,
        name: email ? email.split('@')[0].replace(/[._]/g, ' ') : login,
      };
    },
  };
}

const server = http.createServer();
server.listen(0, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    findAccount: (ctx, id) => account(id),
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    // Put the scope's claims in the ID token, as Google and Microsoft do, not only in userinfo.
    conformIdTokenClaims: false,
    features: {
      devInteractions: { enabled: true },
      registration: { enabled: true, initialAccessToken: registrationToken },
    },
    // Every client must use PKCE: a portal that forgot it would be refused here.
    pkce: { required: () => true },
    cookies: { keys: ['test-only-cookie-key'] },
  });
  provider.on('server_error', (ctx, error) => console.error('server_error', error));
  server.on('request', provider.callback());
  console.log(`issuer ${issuer}`);
});

process.on('SIGTERM', () => server.close(() => process.exit(0)));
