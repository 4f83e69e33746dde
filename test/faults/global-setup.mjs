import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Builds the service once for every fault test (`tsc -p tsconfig.build.json`, as `npm run build`
 * does) into a folder of its own inside the project, so that `node_modules` resolves and `dist/`
 * is left alone; its own package.json makes it ESM. The tests run it as child processes.
 */
export default async function globalSetup() {
  const root = process.cwd();
  mkdirSync(join(root, 'node_modules/.cache'), { recursive: true });
  const dir = mkdtempSync(join(root, 'node_modules/.cache/faults-build-'));
  execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', dir], {
    cwd: root,
    stdio: 'inherit',
  });
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
  process.env.ACCOUNTS_FAULTS_BUILD = dir;
}
