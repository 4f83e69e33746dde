import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createAccount, createMember, createPlatformAdmin, type TestUser, tokenFor } from '../../factories/account.factory.js';
import { DEFAULT_PASSWORD, uniqueEmail } from '../../factories/user.factory.js';
import { startSmtpServer, type TestSmtpServer } from '../../setup/smtp.js';
import { startTestApp, TEST_JWT_SECRET, type TestApp } from '../../setup/test-app.js';
import { b64url, decodeJwt, es256Jwt, hmacJwt, outcome, secretIn, unsignedJwt } from './support.js';

/**
 * Issue 5, JWT attacks: every forged, expired, mis-addressed or tampered access token, and every
 * other secret the service mints presented in an access token's place, answers 401
 * UNAUTHENTICATED, and introspection calls it inactive. Each group has a control that a correctly
 * made token of the same claims is accepted, so a refusal is the attack's doing, not the fixture's.
 * (tokens.e2e-spec.ts already covers alg none/NONE, another HS secret, kid "other", jku/jwk under
 * the real secret, typ JWT, HS512 and HS256 signed with the ES256 public key in PEM with its kid.)
 */
const ALG_NONE = ['none', 'None', 'NONE', 'nOnE'];
const APP_URL = 'https://accounts.example.test';
const ACCESS_TTL_MS = 15 * 60 * 1000;

describe('forged and misused access tokens (HS256)', () => {
  let t: TestApp;
  let smtp: TestSmtpServer;
  let admin: TestUser;

  beforeAll(async () => {
    smtp = await startSmtpServer();
    t = await startTestApp({ SMTP_URL: smtp.url, OUTBOX_POLL_MS: '50', APP_URL });
    admin = await createPlatformAdmin(t);
  });

  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });

  const me = (token: string) => t.http.get('/api/auth/me', token);

  /** Every token is refused with 401 UNAUTHENTICATED by the guard, and introspected as inactive. */
  async function expectAllRefused(tokens: [string, string][]): Promise<void> {
    const adminToken = await tokenFor(t, admin.user);
    const answers = [];
    const introspections = [];
    for (const [label, token] of tokens) {
      answers.push(outcome(label, await me(token)));
      const introspected = await t.http.post('/api/tokens/introspect', { token }, adminToken);
      introspections.push([label, introspected.status, introspected.body]);
    }
    expect(answers).toEqual(tokens.map(([label]) => [label, 401, 'UNAUTHENTICATED']));
    expect(introspections).toEqual(tokens.map(([label]) => [label, 200, { active: false }]));
  }

  /** A fresh login of `user`: its token, its claims, and a re-signing of them under the real secret. */
  async function freshLogin(user: TestUser) {
    const token = await tokenFor(t, user.user);
    const { header, claims, signature } = decodeJwt(token);
    const resign = (changes: Record<string, unknown>, headerChanges: Record<string, unknown> = {}) =>
      hmacJwt(withChanges(header, headerChanges), withChanges(claims, changes), TEST_JWT_SECRET);
    return { token, header, claims, signature, resign };
  }

  it('refuses alg "none" in any case, with an empty signature, the original one or an HMAC', async () => {
    const user = await createMember(t);
    const { token, claims, signature, resign } = await freshLogin(user);
    // Controls: the token, and the same claims re-signed here under the real secret, are accepted.
    expect((await me(token)).status).toBe(200);
    expect((await me(resign({}))).status).toBe(200);

    const forged: [string, string][] = [];
    for (const alg of ALG_NONE) {
      const header = { alg, typ: 'at+jwt' };
      forged.push([`${alg}, no signature`, unsignedJwt(header, claims)]);
      forged.push([`${alg}, original signature`, unsignedJwt(header, claims, signature)]);
      forged.push([`${alg}, HMAC under the real secret`, hmacJwt(header, claims, TEST_JWT_SECRET)]);
      forged.push([`${alg}, no signature part at all`, `${b64url(header)}.${b64url(claims)}`]);
    }
    await expectAllRefused(forged);
  });

  it('refuses a foreign or injected kid (path traversal, SQL, prototype keys), even under the real secret', async () => {
    const user = await createMember(t);
    const { claims, header } = await freshLogin(user);
    const kids = [
      '../../../../../../../dev/null',
      '/dev/null',
      '../../../../../../etc/passwd',
      "' OR '1'='1",
      "x'; DROP TABLE users; --",
      '1 UNION SELECT password_hash FROM users',
      'http://attacker.example/key.pem',
      '',
      '__proto__',
      'constructor',
    ];
    const forged: [string, string][] = [];
    for (const kid of kids) {
      forged.push([`kid ${JSON.stringify(kid)}, real secret`, hmacJwt({ ...header, kid }, claims, TEST_JWT_SECRET)]);
      // What a key looked up by that kid would hold: an empty file, or the attacker's own string.
      forged.push([`kid ${JSON.stringify(kid)}, empty key`, hmacJwt({ ...header, kid }, claims, '')]);
      forged.push([`kid ${JSON.stringify(kid)}, key "1"`, hmacJwt({ ...header, kid }, claims, '1')]);
    }
    await expectAllRefused(forged);
    // The SQL in a kid went nowhere: the users table is intact and the caller still authenticates.
    const [{ count }] = await t.db.query(`SELECT count(*)::int AS count FROM users`);
    expect(count).toBeGreaterThanOrEqual(2);
    expect((await me(await tokenFor(t, user.user))).status).toBe(200);
  });

  it('refuses keys embedded or referenced in the header (jwk, jku, x5u, x5c), signed with that key or the real one', async () => {
    const user = await createMember(t);
    const { claims, header } = await freshLogin(user);
    const attackerSecret = 'attacker-chosen-hmac-secret-of-32-bytes!';
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const certLike = publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
    const embedded: Record<string, unknown>[] = [
      { jwk: { kty: 'oct', k: b64url(attackerSecret) } },
      { jku: 'https://attacker.example/.well-known/jwks.json' },
      { x5u: 'https://attacker.example/cert.pem' },
      { x5c: [certLike] },
      { jwk: { kty: 'oct', k: b64url(attackerSecret) }, kid: 'attacker' },
    ];
    const forged: [string, string][] = [];
    for (const extra of embedded) {
      const label = Object.keys(extra).join('+');
      forged.push([`${label}, attacker key`, hmacJwt({ ...header, ...extra }, claims, attackerSecret)]);
      forged.push([`${label}, real secret`, hmacJwt({ ...header, ...extra }, claims, TEST_JWT_SECRET)]);
    }
    await expectAllRefused(forged);
  });

  it('refuses an access token once expired by the service clock, and one whose nbf is in the future', async () => {
    const user = await createMember(t);
    const { token, resign } = await freshLogin(user);
    t.clock.advance(ACCESS_TTL_MS - 2_000);
    expect((await me(token)).status).toBe(200); // still inside its 15 minutes
    t.clock.advance(3_000);
    const now = t.clock.nowSeconds();
    await expectAllRefused([
      ['expired by the clock', token],
      ['exp a second ago', resign({ exp: now - 1 })],
      ['exp a day ago, iat before it', resign({ iat: now - 86_400 - 900, exp: now - 86_400 })],
    ]);
    const fresh = await freshLogin(user);
    expect((await me(fresh.resign({}))).status).toBe(200); // control after the clock moved
    await expectAllRefused([
      ['nbf in a minute', fresh.resign({ nbf: now + 60 })],
      ['nbf in a year', fresh.resign({ nbf: now + 365 * 86_400 })],
    ]);
  });

  it('refuses a wrong or missing iss, aud, typ, exp, sub or sid, even signed with the real secret', async () => {
    const user = await createMember(t);
    const other = await createMember(t);
    const mine = await freshLogin(user);
    const theirs = await freshLogin(other);
    expect((await me(mine.resign({}))).status).toBe(200);
    const now = t.clock.nowSeconds();
    await expectAllRefused([
      ['iss of another service', mine.resign({ iss: 'another-service' })],
      ['no iss', mine.resign({ iss: undefined })],
      ['aud of another service', mine.resign({ aud: 'another-service' })],
      ['aud list without ours', mine.resign({ aud: ['another-service', 'a-third'] })],
      ['no aud', mine.resign({ aud: undefined })],
      ['typ JWT', mine.resign({}, { typ: 'JWT' })],
      ['typ of a refresh token', mine.resign({}, { typ: 'rt+jwt' })],
      ['no typ', mine.resign({}, { typ: undefined })],
      ['no exp', mine.resign({ exp: undefined })],
      ['exp as a string', mine.resign({ exp: String(now + 600) })],
      ['no sid', mine.resign({ sid: undefined })],
      ['sid not a UUID (SQL)', mine.resign({ sid: "' OR 1=1 --" })],
      ['sid of a session that does not exist', mine.resign({ sid: '00000000-0000-4000-8000-000000000000' })],
      ["sid of another user's session", mine.resign({ sid: theirs.claims.sid })],
      ["sub of another user, with the caller's sid", mine.resign({ sub: theirs.claims.sub })],
      ['no sub', mine.resign({ sub: undefined })],
      ['sub as a number', mine.resign({ sub: user.user.id })],
      ['sub "admin"', mine.resign({ sub: 'admin' })],
      ['sub "0"', mine.resign({ sub: '0' })],
      ['sub "-1"', mine.resign({ sub: '-1' })],
      ['sub with a leading zero', mine.resign({ sub: `0${user.user.id}` })],
      ['sub beyond a 32-bit integer', mine.resign({ sub: '9999999999' })],
      ['sub of eleven digits', mine.resign({ sub: '99999999999' })],
    ]);
  });

  it('refuses claims changed under the original signature (sub, sid, exp, an admin flag, the header)', async () => {
    const user = await createMember(t);
    const victim = await createMember(t);
    const { token, header, claims, signature } = await freshLogin(user);
    const theirs = await freshLogin(victim);
    const reassembled = unsignedJwt(header, claims, signature);
    expect((await me(reassembled)).status).toBe(200); // control: the parts re-encoded as they were
    const tampered = (changes: Record<string, unknown>, headerChanges: Record<string, unknown> = {}) =>
      unsignedJwt(withChanges(header, headerChanges), withChanges(claims, changes), signature);
    await expectAllRefused([
      ['sub of the victim', tampered({ sub: theirs.claims.sub })],
      ['sub and sid of the victim', tampered({ sub: theirs.claims.sub, sid: theirs.claims.sid })],
      ['sid of the victim', tampered({ sid: theirs.claims.sid })],
      ['exp a year later', tampered({ exp: (claims.exp as number) + 365 * 86_400 })],
      ['an isAdmin claim added', tampered({ isAdmin: true, roles: ['owner'] })],
      ['header alg HS512', tampered({}, { alg: 'HS512' })],
      ["the victim's signature on the caller's claims", unsignedJwt(header, claims, theirs.signature)],
      ['signature truncated', token.slice(0, -2)],
      ['signature with a flipped character', flipLast(token)],
    ]);
    // Nothing of the victim's changed hands: their own token still answers as them.
    expect((await me(theirs.token)).body.id).toBe(victim.user.id);
  });

  it('never takes a refresh token, an API token or its pieces, an invitation, reset or verification token for an access token', async () => {
    // A refresh token from a real login.
    const user = await createMember(t);
    const login = await t.http.post('/api/auth/login', { email: user.user.email, password: DEFAULT_PASSWORD });
    expect(login.status).toBe(200);
    const refreshToken: string = login.body.refreshToken;

    // An API token and its pieces.
    const created = await t.http.post('/api/tokens', { name: 'pieces' }, login.body.accessToken);
    expect(created.status).toBe(201);
    const apiToken: string = created.body.token;
    expect((await me(apiToken)).status).toBe(200); // control
    const body = apiToken.slice('acs_pat_'.length);
    const [{ secret_hash: secretHash }] = await t.db.query(`SELECT secret_hash FROM api_tokens WHERE id = $1`, [created.body.id]);

    // A verification token (registration mails one), a reset token and an invitation token, from their mails.
    const registered = uniqueEmail('verify');
    expect((await t.http.post('/api/auth/register', { email: registered, password: DEFAULT_PASSWORD, firstName: 'V', lastName: 'T' })).status).toBe(201);
    const resetFor = await createMember(t);
    expect((await t.http.post('/api/auth/password/forgot', { email: resetFor.user.email })).status).toBe(202);
    const { account, owner } = await createAccount(t);
    const invited = uniqueEmail('invited');
    expect((await t.http.post(`/api/accounts/${account.id}/users`, { email: invited, roles: ['user'] }, owner.token)).status).toBe(201);
    const verifyToken = secretIn(await mailTo(registered), 'acs_evt_')!;
    const resetToken = secretIn(await mailTo(resetFor.user.email), 'acs_pwr_')!;
    const invitationToken = secretIn(await mailTo(invited), 'acs_inv_')!;
    expect([verifyToken, resetToken, invitationToken].every(Boolean)).toBe(true);

    await expectAllRefused([
      ['refresh token', refreshToken],
      ['API token without its prefix', body],
      ['API token random part only', body.slice(0, 30)],
      ['API token checksum only', body.slice(30)],
      ['API token prefix and random part, no checksum', `acs_pat_${body.slice(0, 30)}`],
      ['API token prefix only', 'acs_pat_'],
      ['API token upper-cased', apiToken.toUpperCase()],
      ['API token body under the refresh prefix', `acs_rt_${body}`],
      ['API token id', created.body.id],
      ['API token hint', created.body.hint],
      ['API token hash as stored', secretHash],
      ['verification token', verifyToken],
      ['reset token', resetToken],
      ['invitation token', invitationToken],
    ]);

    // Each refused secret was live: it still does its own job.
    expect((await t.http.post('/api/auth/refresh', { refreshToken })).status).toBe(200);
    expect((await t.http.post('/api/auth/email/verify', { token: verifyToken })).status).toBe(200);
    expect((await t.http.post('/api/auth/password/reset', { token: resetToken, password: 'a-brand-new-passphrase-42' })).status).toBe(200);
    expect((await t.http.post('/api/invitations/accept', { token: invitationToken, password: DEFAULT_PASSWORD })).status).toBe(200);
  });

  async function mailTo(email: string) {
    return smtp.waitFor((mail) => mail.to.some((to) => to.toLowerCase() === email.toLowerCase()), 10_000);
  }
});

describe('forged access tokens (ES256)', () => {
  let t: TestApp;
  let privateKey: KeyObject;
  let jwk: Record<string, string>;
  let kid: string;

  beforeAll(async () => {
    ({ privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }));
    t = await startTestApp({ JWT_ALGORITHM: 'ES256', JWT_PRIVATE_KEY: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString() });
    [jwk] = (await t.http.get('/.well-known/jwks.json')).body.keys;
    kid = jwk.kid;
  });

  afterAll(async () => {
    await t?.close();
  });

  it('refuses alg none, HS256 keyed with the public key in any form, and keys of the attacker', async () => {
    const user = await createMember(t);
    const token = await tokenFor(t, user.user);
    const { header, claims, signature } = decodeJwt(token);
    expect(header).toEqual({ alg: 'ES256', typ: 'at+jwt', kid });
    // Controls: the token, and its claims signed here with the service's private key, are accepted.
    expect((await t.http.get('/api/auth/me', token)).status).toBe(200);
    expect((await t.http.get('/api/auth/me', es256Jwt(header, claims, privateKey))).status).toBe(200);

    const publicKey = createPublicKey({ key: jwk, format: 'jwk' });
    const pem = publicKey.export({ format: 'pem', type: 'spki' }).toString();
    const der = publicKey.export({ format: 'der', type: 'spki' });
    const attacker = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const attackerJwk = { ...attacker.publicKey.export({ format: 'jwk' }), kid };

    const forged: [string, string][] = [];
    for (const alg of ALG_NONE) {
      forged.push([`${alg}, no signature`, unsignedJwt({ ...header, alg }, claims)]);
      forged.push([`${alg}, original signature`, unsignedJwt({ ...header, alg }, claims, signature)]);
    }
    const publicForms: [string, string | Buffer][] = [
      ['PEM', pem],
      ['PEM without its final newline', pem.trimEnd()],
      ['DER', der],
      ['JWK as JSON', JSON.stringify(jwk)],
      ['JWKS as JSON', JSON.stringify({ keys: [jwk] })],
    ];
    for (const [form, key] of publicForms) {
      forged.push([`HS256 keyed with the public key as ${form}, with kid`, hmacJwt({ ...header, alg: 'HS256' }, claims, key)]);
      forged.push([`HS256 keyed with the public key as ${form}, no kid`, hmacJwt({ alg: 'HS256', typ: 'at+jwt' }, claims, key)]);
    }
    forged.push(
      ['ES256 by the attacker under our kid', es256Jwt(header, claims, attacker.privateKey)],
      ['ES256 by the attacker, key embedded as jwk', es256Jwt({ ...header, jwk: attackerJwk }, claims, attacker.privateKey)],
      ['ES256 by the attacker, jwk and no kid', es256Jwt({ alg: 'ES256', typ: 'at+jwt', jwk: attackerJwk }, claims, attacker.privateKey)],
      ['ES256 by the attacker, jku', es256Jwt({ ...header, jku: 'https://attacker.example/jwks.json' }, claims, attacker.privateKey)],
      ['ES256 by the attacker, x5u', es256Jwt({ ...header, x5u: 'https://attacker.example/cert.pem' }, claims, attacker.privateKey)],
      ['ES256 by the attacker, kid path traversal', es256Jwt({ ...header, kid: '../../../../dev/null' }, claims, attacker.privateKey)],
      ['ES256 by the attacker, kid __proto__', es256Jwt({ ...header, kid: '__proto__' }, claims, attacker.privateKey)],
      ['ES256 by the attacker, kid constructor', es256Jwt({ ...header, kid: 'constructor' }, claims, attacker.privateKey)],
      ['ES256 by the attacker, kid SQL', es256Jwt({ ...header, kid: "' OR '1'='1" }, claims, attacker.privateKey)],
      ['our signature, kid removed', unsignedJwt({ alg: 'ES256', typ: 'at+jwt' }, claims, signature)],
      ['our signature, kid of another key', unsignedJwt({ ...header, kid: 'another-key' }, claims, signature)],
      ['our signature, alg ES384', unsignedJwt({ ...header, alg: 'ES384' }, claims, signature)],
      ['our signature, alg RS256', unsignedJwt({ ...header, alg: 'RS256' }, claims, signature)],
      ['our signature, alg PS256', unsignedJwt({ ...header, alg: 'PS256' }, claims, signature)],
      ['our signature, sub changed', unsignedJwt(header, { ...claims, sub: String(user.user.id + 1) }, signature)],
      ['zero signature (r = s = 0)', unsignedJwt(header, claims, Buffer.alloc(64).toString('base64url'))],
      ['signature in DER instead of JOSE form', derSigned(header, claims, privateKey)],
    );
    const answers = [];
    for (const [label, forgedToken] of forged) answers.push(outcome(label, await t.http.get('/api/auth/me', forgedToken)));
    expect(answers).toEqual(forged.map(([label]) => [label, 401, 'UNAUTHENTICATED']));
  });
});

/** `base` with `changes` applied; a change to `undefined` removes the key. */
function withChanges(base: Record<string, unknown>, changes: Record<string, unknown>): Record<string, unknown> {
  const result: Record<string, unknown> = { ...base, ...changes };
  for (const [key, value] of Object.entries(changes)) if (value === undefined) delete result[key];
  return result;
}

/** The token with the last character of its signature changed (to one that changes the decoded bits). */
function flipLast(token: string): string {
  const head = token.slice(0, -4);
  const tail = token.slice(-4);
  return head + (tail[0] === 'A' ? 'B' : 'A') + tail.slice(1);
}

/** An ES256 JWT whose signature is DER-encoded (as OpenSSL emits it) rather than JOSE's r||s. */
function derSigned(header: Record<string, unknown>, claims: Record<string, unknown>, key: KeyObject): string {
  const jose = es256Jwt(header, claims, key);
  const input = jose.slice(0, jose.lastIndexOf('.'));
  const raw = Buffer.from(jose.slice(jose.lastIndexOf('.') + 1), 'base64url');
  const integer = (bytes: Buffer) => {
    let b = bytes;
    while (b.length > 1 && b[0] === 0 && b[1] < 0x80) b = b.subarray(1);
    if (b[0] >= 0x80) b = Buffer.concat([Buffer.from([0]), b]);
    return Buffer.concat([Buffer.from([0x02, b.length]), b]);
  };
  const sequence = Buffer.concat([integer(raw.subarray(0, 32)), integer(raw.subarray(32))]);
  return `${input}.${Buffer.concat([Buffer.from([0x30, sequence.length]), sequence]).toString('base64url')}`;
}
