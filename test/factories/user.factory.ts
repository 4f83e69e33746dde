import { PasswordsService } from '../../src/auth/passwords.service.js';
import type { User } from '../../src/users/user.entity.js';
import { type NewUser, UsersService } from '../../src/users/users.service.js';
import type { TestApp } from '../setup/test-app.js';

let sequence = 0;

/** A unique email for this run. */
export function uniqueEmail(label = 'user'): string {
  sequence += 1;
  return `${label}-${process.pid}-${sequence}-${Math.random().toString(36).slice(2, 7)}@example.test`;
}

export const DEFAULT_PASSWORD = 'correct-horse-battery-staple';

/** Inserts a user through the service, with a real argon2id hash. */
export async function createUser(
  t: TestApp,
  overrides: Partial<NewUser> & { password?: string | null } = {},
): Promise<{ user: User; password: string }> {
  const { password = DEFAULT_PASSWORD, ...fields } = overrides;
  const passwordHash = password === null ? null : await t.app.get(PasswordsService).hash(password);
  const user = await t.app
    .get(UsersService)
    .create(t.db.manager, { email: uniqueEmail(), firstName: 'Test', lastName: 'User', passwordHash, ...fields });
  return { user, password: password ?? '' };
}

/** Creates a user and logs in over HTTP; returns the user and the login answer. */
export async function createLoggedInUser(t: TestApp, overrides: Partial<NewUser> = {}) {
  const { user, password } = await createUser(t, overrides);
  const login = await t.http.post('/api/auth/login', { email: user.email, password });
  if (login.status !== 200) throw new Error(`login failed: ${login.status} ${JSON.stringify(login.body)}`);
  return { user, password, token: login.body.accessToken as string, refreshToken: login.body.refreshToken as string };
}
