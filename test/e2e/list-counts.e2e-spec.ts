import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { EXACT_COUNT_LIMIT } from '../../src/common/query/count.js';
import { createPlatformAdmin, type TestUser } from '../factories/account.factory.js';
import { startTestApp, type TestApp } from '../setup/test-app.js';

/**
 * List counts are exact up to EXACT_COUNT_LIMIT matches and bounded past it (the planner's
 * estimate), so that an administrator's list of a whole platform does not count a million rows.
 */
describe('list counts', () => {
  let t: TestApp;
  let admin: TestUser;
  const BULK = EXACT_COUNT_LIMIT + 500;

  beforeAll(async () => {
    t = await startTestApp();
    admin = await createPlatformAdmin(t);
    await t.db.query(
      `INSERT INTO accounts (slug, name, type) SELECT 'bulk' || g, 'Bulk ' || lpad(g::text, 6, '0'), CASE WHEN g % 2 = 0 THEN 'individual' ELSE 'business' END
         FROM generate_series(1, $1::int) g`,
      [BULK],
    );
    await t.db.query(`ANALYZE accounts`);
  });

  afterAll(async () => {
    await t?.close();
  });

  const count = async (filter: string, extra = '') => {
    const res = await t.http.get(`/api/accounts?$filter=${encodeURIComponent(filter)}${extra}`, admin.token);
    expect(res.status).toBe(200);
    return res.body as { value: { name: string }[]; count: number };
  };

  it('counts exactly up to the limit', async () => {
    await expect(count(`startswith(name, 'Bulk 00')`)).resolves.toMatchObject({ count: 9_999 });
    await expect(count(`startswith(name, 'Bulk ') and type eq 'individual'`)).resolves.toMatchObject({ count: BULK / 2 });
    await expect(count(`startswith(name, 'Bulk ') and name le 'Bulk 010000'`)).resolves.toMatchObject({ count: EXACT_COUNT_LIMIT });
  });

  it('answers an estimate past the limit, never below it, on the first page, a deep page and past the end', async () => {
    for (const extra of ['', '&$skip=10480', '&$skip=20000']) {
      const page = await count(`startswith(name, 'Bulk ')`, extra);
      expect(page.count).toBeGreaterThan(EXACT_COUNT_LIMIT);
      expect(page.count).toBeLessThan(BULK * 3); // the planner's estimate, not a made-up number
    }
    await expect(count(`startswith(name, 'Bulk ')`, '&$skip=10480&$top=2')).resolves.toMatchObject({ value: [{ name: 'Bulk 010481' }, { name: 'Bulk 010482' }] });
  });
});
