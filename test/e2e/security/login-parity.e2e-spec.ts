import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { performance } from 'node:perf_hooks';
import { createAccount, createInvitation, createMember } from '../../factories/account.factory.js';
import { DEFAULT_PASSWORD, uniqueEmail } from '../../factories/user.factory.js';
import { type Reply, startTestApp, type TestApp } from '../../setup/test-app.js';
import { median } from './support.js';

/**
 * Issue 5, login parity: an unknown email, a wrong password, an invited user without a password,
 * a disabled user (with the right password) and a locked-out user (with the right password) get
 * the same status, code, body and headers, and take the same time: real argon2id, real HTTP, the
 * samples of the five cases interleaved, medians compared within 20 ms or 10 %.
 *
 * Every sample but the locked-out ones uses its own email, so no case drifts into a lockout.
 */
const SAMPLES = 21;
const TOLERANCE_MS = 20;
const TOLERANCE_RATIO = 0.1;
const INVALID = { statusCode: 401, code: 'INVALID_CREDENTIALS', message: 'Invalid email or password' };
/** Headers that differ between any two answers by nature. */
const VOLATILE_HEADERS = new Set(['date', 'x-request-id', 'keep-alive', 'connection']);

type Case = 'unknown email' | 'wrong password' | 'invited, no password' | 'disabled user' | 'locked-out user';
const CASES: Case[] = ['unknown email', 'wrong password', 'invited, no password', 'disabled user', 'locked-out user'];

describe('login parity', () => {
  let t: TestApp;
  /** For each case, the credentials of each sample (one login each). */
  const attempts = {} as Record<Case, { email: string; password: string }[]>;

  beforeAll(async () => {
    t = await startTestApp();
    const { account } = await createAccount(t);
    const locked = await createMember(t, { email: uniqueEmail('locked') });
    for (let i = 0; i < 10; i++) await login(locked.user.email, 'not-the-password');
    const rounds = 2 * SAMPLES; // enough for a second measurement
    attempts['unknown email'] = Array.from({ length: rounds }, () => ({ email: uniqueEmail('nobody'), password: DEFAULT_PASSWORD }));
    attempts['wrong password'] = [];
    attempts['invited, no password'] = [];
    attempts['disabled user'] = [];
    attempts['locked-out user'] = Array.from({ length: rounds }, () => ({ email: locked.user.email, password: DEFAULT_PASSWORD }));
    for (let i = 0; i < rounds; i++) {
      const active = await createMember(t, { email: uniqueEmail('wrong') });
      attempts['wrong password'].push({ email: active.user.email, password: 'wrong-password-for-sure' });
      const invited = await createInvitation(t, account.id, ['user']);
      attempts['invited, no password'].push({ email: invited.user.email, password: DEFAULT_PASSWORD });
      const disabled = await createMember(t, { email: uniqueEmail('disabled'), status: 'disabled' });
      attempts['disabled user'].push({ email: disabled.user.email, password: DEFAULT_PASSWORD });
    }
  });

  afterAll(async () => {
    await t?.close();
  });

  function login(email: string, password: string): Promise<Reply> {
    return t.http.post('/api/auth/login', { email, password });
  }

  async function timedLogin(email: string, password: string): Promise<{ ms: number; res: Reply; raw: string }> {
    const started = performance.now();
    const res = await login(email, password);
    const ms = performance.now() - started;
    return { ms, res, raw: JSON.stringify(res.body) };
  }

  it('answers the five cases with the same status, code, body and headers, in the same time', async () => {
    // Warm up every path (the first unknown email computes the dummy hash that later ones check against).
    for (const name of CASES) await login(uniqueEmail('warm-up'), `warm-up ${name}`);

    const times = Object.fromEntries(CASES.map((name) => [name, [] as number[]])) as Record<Case, number[]>;
    const bodies = new Set<string>();
    const headerSets = new Set<string>();
    const statuses: [Case, number][] = [];
    let next = 0;

    async function measure(rounds: number): Promise<void> {
      for (let round = 0; round < rounds; round++, next++) {
        // Interleaved, and the order rotates each round so no case always runs first after a pause.
        for (let k = 0; k < CASES.length; k++) {
          const name = CASES[(round + k) % CASES.length];
          const { email, password } = attempts[name][next];
          const { ms, res, raw } = await timedLogin(email, password);
          times[name].push(ms);
          statuses.push([name, res.status]);
          bodies.add(raw);
          const names = [...res.headers.keys()].filter((h) => !VOLATILE_HEADERS.has(h));
          headerSets.add(JSON.stringify(names.sort().map((h) => [h, h === 'ratelimit-remaining' ? '*' : res.headers.get(h)])));
        }
      }
    }

    await measure(SAMPLES);
    let verdict = compare(times);
    console.info(`login parity, ${SAMPLES} interleaved samples per case, medians (ms): ${format(verdict.medians)}; spread ${verdict.spread.toFixed(1)} ms, allowed ${verdict.allowed.toFixed(1)} ms`);
    if (!verdict.ok) {
      // A loaded machine can skew one round: measure as many again and judge on all the samples.
      await measure(SAMPLES);
      verdict = compare(times);
      console.info(`login parity, remeasured with ${2 * SAMPLES} samples per case, medians (ms): ${format(verdict.medians)}; spread ${verdict.spread.toFixed(1)} ms, allowed ${verdict.allowed.toFixed(1)} ms`);
    }

    expect(statuses.filter(([, status]) => status !== 401)).toEqual([]);
    expect([...bodies].map((raw) => JSON.parse(raw))).toEqual([INVALID]);
    expect(headerSets.size).toBe(1);
    expect(verdict).toMatchObject({ ok: true });
    // The locked-out user stayed locked all along (its right password never got in), and is locked still.
    const stillLocked = await login(attempts['locked-out user'][0].email, DEFAULT_PASSWORD);
    expect(stillLocked.body).toEqual(INVALID);
    // No failed attempt started a session.
    const emails = CASES.flatMap((name) => attempts[name].map((a) => a.email.toLowerCase()));
    const [{ count }] = await t.db.query(
      `SELECT count(*)::int AS count FROM sessions s JOIN users u ON u.id = s.user_id
        WHERE lower(u.email) = ANY($1) AND s.user_agent IS DISTINCT FROM 'test-factory'`,
      [emails],
    );
    expect(count).toBe(0);
  });
});

function compare(times: Record<Case, number[]>) {
  const medians = Object.fromEntries(CASES.map((name) => [name, median(times[name])])) as Record<Case, number>;
  const values = Object.values(medians);
  const spread = Math.max(...values) - Math.min(...values);
  const allowed = Math.max(TOLERANCE_MS, TOLERANCE_RATIO * Math.max(...values));
  return { ok: spread <= allowed, medians, spread, allowed };
}

function format(medians: Record<Case, number>): string {
  return CASES.map((name) => `${name} ${medians[name].toFixed(1)}`).join(', ');
}
