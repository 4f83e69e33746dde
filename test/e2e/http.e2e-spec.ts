import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApp, type TestApp } from '../setup/test-app.js';

/** What every route shares: the error shape, body limits, content types, request ids, docs, health. */
describe('http', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });

  afterAll(async () => {
    await t.close();
  });

  it('runs on a schema that the migrations built to match the entities exactly (nothing left to generate)', async () => {
    const pending = await t.db.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((q) => q.query)).toEqual([]);
  });

  it('answers malformed JSON with 400 VALIDATION_FAILED', async () => {
    const res = await t.http.request('POST', '/api/auth/login', undefined, { raw: '{"email": "a@b.c",' });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ statusCode: 400, code: 'VALIDATION_FAILED', message: 'The request body is not valid JSON' });
  });

  it('answers a 200 KB body with 413 PAYLOAD_TOO_LARGE', async () => {
    const raw = JSON.stringify({ email: 'a@b.c', password: 'x'.repeat(200 * 1024) });
    const res = await t.http.request('POST', '/api/auth/login', undefined, { raw });
    expect(res.status).toBe(413);
    expect(res.body.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('answers text/plain with 415 UNSUPPORTED_MEDIA_TYPE', async () => {
    const res = await t.http.request('POST', '/api/auth/login', undefined, { raw: 'email=a', contentType: 'text/plain' });
    expect(res.status).toBe(415);
    expect(res.body.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it.each([
    ['an array', '[1, 2]'],
    ['a string', '"hello"'],
    ['null', 'null'],
  ])('answers a body that is %s with 400 VALIDATION_FAILED', async (_label, raw) => {
    const res = await t.http.request('POST', '/api/auth/login', undefined, { raw });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('VALIDATION_FAILED');
  });

  it('refuses a body that tries prototype pollution', async () => {
    const res = await t.http.request('POST', '/api/auth/login', undefined, {
      raw: '{"email":"a@b.co","password":"password1","__proto__":{"isAdmin":true}}',
    });
    expect(res.status).toBe(400);
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
  });

  it('answers an unknown route with 404 NOT_FOUND in the error shape', async () => {
    const res = await t.http.get('/api/nothing-here');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ statusCode: 404, code: 'NOT_FOUND', message: expect.any(String) });
  });

  it('echoes a sane x-request-id and makes one otherwise', async () => {
    const given = await t.http.request('GET', '/health/live', undefined, { headers: { 'x-request-id': 'abc-123' } });
    expect(given.headers.get('x-request-id')).toBe('abc-123');
    const forged = await t.http.request('GET', '/health/live', undefined, { headers: { 'x-request-id': 'a b<script>' } });
    expect(forged.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('serves liveness and readiness', async () => {
    expect(await t.http.get('/health/live')).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect(await t.http.get('/health/ready')).toMatchObject({ status: 200, body: { status: 'ok', database: 'up' } });
  });

  it('serves the OpenAPI document with the bearer scheme and every auth route', async () => {
    const res = await t.http.get('/docs-json');
    expect(res.status).toBe(200);
    expect(res.body.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    for (const path of ['/api/auth/register', '/api/auth/login', '/api/auth/refresh', '/api/auth/logout', '/api/auth/me', '/api/auth/sessions']) {
      expect(res.body.paths).toHaveProperty([path]);
    }
    const ui = await t.http.get('/docs');
    expect(ui.status).toBe(200);
    expect(String(ui.body)).toContain('swagger');
  });
});
