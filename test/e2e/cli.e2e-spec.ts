import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../../src/app.factory.js';
import { uniqueEmail } from '../factories/user.factory.js';
import { createTestDatabase, type TestDatabase } from '../setup/database.js';
import { Http, TEST_JWT_SECRET } from '../setup/test-app.js';

const ROOT = process.cwd();
const PASSWORD = 'Keel-Harbor-Onward-42';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * `src/cli.ts` compiled as `npm run cli` builds it, run as a child process on its own database:
 * a brand-new embedded database folder (the CLI migrates it), or a fresh PostgreSQL database when
 * `DATABASE_URL` is set. The service is then booted on the same database to log the admin in.
 */
describe('CLI create-admin', () => {
  let buildDir: string;
  let databaseEnv: Record<string, string>;
  let database: TestDatabase | undefined;
  let dataDir: string | undefined;

  beforeAll(async () => {
    // Inside the project, so that the build finds node_modules; its own package.json makes it ESM.
    mkdirSync(join(ROOT, 'node_modules/.cache'), { recursive: true });
    buildDir = mkdtempSync(join(ROOT, 'node_modules/.cache/cli-e2e-'));
    execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', buildDir], {
      cwd: ROOT,
      stdio: 'pipe',
    });
    writeFileSync(join(buildDir, 'package.json'), '{ "type": "module" }\n');
    if (process.env.DATABASE_URL) {
      database = await createTestDatabase();
      databaseEnv = database.env;
    } else {
      dataDir = mkdtempSync(join(tmpdir(), 'accounts-cli-e2e-'));
      databaseEnv = { DATA_DIR: dataDir };
    }
  }, 120_000);

  afterAll(async () => {
    if (buildDir) rmSync(buildDir, { recursive: true, force: true });
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    await database?.drop();
  });

  function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [join(buildDir, 'src/cli.js'), ...args], {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', LOG_LEVEL: 'silent', JWT_SECRET: TEST_JWT_SECRET, ...databaseEnv, ...env },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk) => (stdout += chunk));
      child.stderr.on('data', (chunk) => (stderr += chunk));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
      child.stdin.end();
    });
  }

  /** Boots the service on the CLI's database, runs `check`, and closes it (the embedded database takes one process at a time). */
  async function withService<T>(check: (http: Http) => Promise<T>): Promise<T> {
    const app = await createApp({ env: { NODE_ENV: 'test', LOG_LEVEL: 'silent', JWT_SECRET: TEST_JWT_SECRET, RATE_LIMIT_ENABLED: 'false', ...databaseEnv } });
    try {
      await app.listen(0, '127.0.0.1');
      const { port } = app.getHttpServer().address() as { port: number };
      return await check(new Http(`http://127.0.0.1:${port}`));
    } finally {
      await app.close();
    }
  }

  const admin = uniqueEmail('cli-admin');
  const promoted = uniqueEmail('cli-promoted');

  it('creates a platform administrator with the password from ADMIN_PASSWORD (exit 0)', async () => {
    const run = await cli(['create-admin', '--email', admin, '--first-name', 'Ada', '--last-name', 'Lovelace'], { ADMIN_PASSWORD: PASSWORD });
    expect(run).toEqual({ code: 0, stdout: expect.stringMatching(new RegExp(`^Created platform administrator ${admin} \\(user \\d+\\)\\n$`)), stderr: '' });
  }, 60_000);

  it.each([
    ['the email already exists (without --promote)', ['create-admin', '--email', admin], { ADMIN_PASSWORD: PASSWORD }, /already exists/],
    ['no ADMIN_PASSWORD and stdin is not a terminal', ['create-admin', '--email', uniqueEmail()], {}, /ADMIN_PASSWORD/],
    ['a common password', ['create-admin', '--email', uniqueEmail()], { ADMIN_PASSWORD: 'password123' }, /password: is too common/],
    ['a short password', ['create-admin', '--email', uniqueEmail()], { ADMIN_PASSWORD: 'Ab1-xyz' }, /8 to 128 characters/],
    ['a password given as an argument', ['create-admin', '--email', uniqueEmail(), '--password', PASSWORD], {}, /Unknown option '--password'/],
    ['a malformed email', ['create-admin', '--email', 'not-an-email'], { ADMIN_PASSWORD: PASSWORD }, /--email must be an email address/],
    ['an unknown command', ['drop-everything'], {}, /^Error: Usage: npm run cli/],
  ])('exits 1 with a clear message when %s', async (_label, args, env, message) => {
    const run = await cli(args, env);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(message);
  }, 60_000);

  it('lets the administrator log in as a platform administrator; refused attempts created nobody', async () => {
    await withService(async (http) => {
      const login = await http.post('/api/auth/login', { email: admin, password: PASSWORD });
      expect(login.status).toBe(200);
      expect(login.body.user).toMatchObject({ email: admin, firstName: 'Ada', lastName: 'Lovelace', isAdmin: true, status: 'active' });
      const users = await http.get('/api/users', login.body.accessToken);
      expect(users.status).toBe(200);
      expect(users.body.value.map((user: { email: string }) => user.email)).toEqual([admin]);

      const register = await http.post('/api/auth/register', { email: promoted, password: PASSWORD, firstName: 'Grace', lastName: 'Hopper' });
      expect(register.status).toBe(201);
      expect(register.body.user.isAdmin).toBe(false);
    });
  }, 60_000);

  it('promotes an existing user with --promote, leaving their password alone (exit 0)', async () => {
    const run = await cli(['create-admin', '--email', promoted.toUpperCase(), '--promote']);
    expect(run).toEqual({ code: 0, stdout: expect.stringMatching(/^Promoted .+ to platform administrator\n$/), stderr: '' });
    const again = await cli(['create-admin', '--email', promoted, '--promote']);
    expect(again).toMatchObject({ code: 0, stdout: expect.stringMatching(/is already a platform administrator/) });

    await withService(async (http) => {
      const login = await http.post('/api/auth/login', { email: promoted, password: PASSWORD });
      expect(login.status).toBe(200);
      expect(login.body.user.isAdmin).toBe(true);
    });
  }, 90_000);
});
