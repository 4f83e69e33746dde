import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { createApp } from '../../src/app.factory.js';
import { Clock } from '../../src/common/clock/clock.js';
import type { RawEnv } from '../../src/config/env.schema.js';
import { createTestDatabase, type TestDatabase } from './database.js';

export const TEST_JWT_SECRET = 'test-secret-that-is-at-least-32-bytes-long';

export interface Reply<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export interface RequestOptions {
  token?: string;
  headers?: Record<string, string>;
  /** Sent as is, with the given content type (default: JSON of `body`). */
  raw?: string | Buffer;
  contentType?: string;
}

/** A real HTTP client for the app under test. */
export class Http {
  constructor(readonly baseUrl: string) {}

  async request<T = any>(method: string, path: string, body?: unknown, options: RequestOptions = {}): Promise<Reply<T>> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let payload: string | Buffer | undefined;
    if (options.raw !== undefined) {
      payload = options.raw;
      headers['content-type'] = options.contentType ?? 'application/json';
    } else if (body !== undefined) {
      payload = JSON.stringify(body);
      headers['content-type'] = 'application/json';
    }
    const response = await fetch(this.baseUrl + path, { method, headers, body: payload });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, body: parsed as T, headers: response.headers };
  }

  get<T = any>(path: string, token?: string) {
    return this.request<T>('GET', path, undefined, { token });
  }
  post<T = any>(path: string, body?: unknown, token?: string) {
    return this.request<T>('POST', path, body, { token });
  }
  put<T = any>(path: string, body?: unknown, token?: string) {
    return this.request<T>('PUT', path, body, { token });
  }
  patch<T = any>(path: string, body?: unknown, token?: string) {
    return this.request<T>('PATCH', path, body, { token });
  }
  delete<T = any>(path: string, token?: string) {
    return this.request<T>('DELETE', path, undefined, { token });
  }
}

export interface TestApp {
  app: NestFastifyApplication;
  /** The database this app runs on: give it to another `startTestApp` for a second instance. */
  database: TestDatabase;
  http: Http;
  db: DataSource;
  clock: Clock;
  close(): Promise<void>;
}

/**
 * Boots the real application (the same `createApp()` as `main.ts`) on a free port, on a fresh
 * copy of the migrated test database: embedded by default, PostgreSQL when `DATABASE_URL` is set.
 */
export async function startTestApp(env: RawEnv = {}, shared?: TestDatabase): Promise<TestApp> {
  const database = shared ?? (await createTestDatabase());
  const app = await createApp({
    env: { NODE_ENV: 'test', LOG_LEVEL: 'silent', JWT_SECRET: TEST_JWT_SECRET, RATE_LIMIT_ENABLED: 'false', ...database.env, ...env },
  });
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  return {
    app,
    database,
    http: new Http(`http://127.0.0.1:${address.port}`),
    db: app.get<DataSource>(getDataSourceToken()),
    clock: app.get(Clock),
    async close() {
      await app.close();
      if (!shared) await database.drop();
    },
  };
}
