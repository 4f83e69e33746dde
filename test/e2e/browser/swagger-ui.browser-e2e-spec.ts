import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { chromium, type Browser } from 'playwright-core';
import { createMember } from '../../factories/account.factory.js';
import { startTestApp, type TestApp } from '../../setup/test-app.js';

/**
 * Swagger UI in a real browser (Debian's chromium, driven by playwright-core): load /docs,
 * authorize with a bearer token, and run `GET /api/auth/me` through "Try it out".
 * Runs when `TEST_BROWSER` names the browser (`.ci/run` installs it).
 */
describe('Swagger UI in a browser', () => {
  let t: TestApp;
  let browser: Browser;

  beforeAll(async () => {
    t = await startTestApp();
    browser = await chromium.launch({
      executablePath: process.env.TEST_BROWSER,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await t.close();
  });

  it('authorizes with a token and runs a request through "Try it out"', async () => {
    const me = await createMember(t);
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));

    await page.goto(`${t.http.baseUrl}/docs`);
    await page.locator('.swagger-ui .info .title').waitFor();
    expect(await page.locator('.swagger-ui .info .title').innerText()).toContain('Accounts service');

    await page.locator('button.authorize').first().click();
    await page.locator('.auth-container input').first().fill(me.token);
    await page.locator('.auth-btn-wrapper button.authorize').click();
    await page.locator('.auth-btn-wrapper button.btn-done').click();

    const operation = page.locator('#operations-Auth-AuthController_me');
    await operation.locator('.opblock-summary').click();
    await operation.locator('button.try-out__btn').click();
    await operation.locator('button.execute').click();
    const status = operation.locator('.live-responses-table .response .response-col_status');
    await status.waitFor();
    expect((await status.innerText()).trim()).toBe('200');
    expect(await operation.locator('.live-responses-table .microlight').first().innerText()).toContain(me.user.email);
    expect(errors).toEqual([]);
  }, 60_000);
});
