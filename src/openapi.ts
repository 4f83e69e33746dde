import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildOpenApiDocument, createApp } from './app.factory.js';

/**
 * Writes the OpenAPI document to the given file (default `openapi.json`): the source of the typed
 * client in `client/` and of the lint in CI. Boots the app on a throw-away embedded database.
 */
const out = process.argv[2] ?? 'openapi.json';
const dataDir = mkdtempSync(join(tmpdir(), 'accounts-openapi-'));
const app = await createApp({ env: { DATABASE_URL: '', DATA_DIR: dataDir, LOG_LEVEL: 'error', NODE_ENV: 'development', REDIS_URL: '' } });
try {
  await app.init();
  writeFileSync(out, `${JSON.stringify(buildOpenApiDocument(app), null, 2)}\n`);
} finally {
  await app.close();
  rmSync(dataDir, { recursive: true, force: true });
}
