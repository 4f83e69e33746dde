import { rmSync } from 'node:fs';

/** Removes the build of the global setup. */
export default async function globalTeardown() {
  if (process.env.ACCOUNTS_FAULTS_BUILD) rmSync(process.env.ACCOUNTS_FAULTS_BUILD, { recursive: true, force: true });
}
