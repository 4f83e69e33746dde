import { common } from '../../jest.config.js';

/**
 * The fault tests: the built service as a child process on a PostgreSQL cluster that each test
 * file starts for itself (initdb, pg_ctl), then kills, crashes, restarts and locks. They need the
 * PostgreSQL server binaries and, as root, a `postgres` user; `.ci/run` runs them with
 * `npm run test:faults` (one file at a time: they load the machine). `npm test` does not.
 * PG_BINDIR, when set, names the folder of initdb and pg_ctl (else the newest Debian-style
 * /usr/lib/postgresql/<version>/bin, else `pg_config --bindir`); FAULTS_LOG_DIR keeps
 * each service's log lines there (and FAULTS_LOG_LEVEL sets their level, `warn` by default).
 */
export default {
  ...common,
  rootDir: '../..',
  displayName: 'faults',
  testMatch: ['<rootDir>/test/faults/**/*.fault-spec.ts'],
  testTimeout: 180_000,
  globalSetup: '<rootDir>/test/faults/global-setup.mjs',
  globalTeardown: '<rootDir>/test/faults/global-teardown.mjs',
};
