/**
 * Jest in native ESM mode (run with --experimental-vm-modules), TypeScript through SWC with
 * legacy decorators and their metadata, as Nest and TypeORM need.
 * Two projects: `unit` (pure code, next to it in src/) and `e2e` (the real app over HTTP).
 * The fault tests (test/faults/, `npm run test:faults`) have a configuration of their own,
 * test/faults/jest.config.js, built on `common`: `npm test` does not run them.
 */
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
      target: 'es2023',
    },
    module: { type: 'es6' },
  },
];

export const common = {
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': swc,
    // An ESM-only package that a CommonJS dependency (@fastify/static) requires: Jest's CommonJS
    // loader cannot require ESM on Node 20, so it is compiled to CommonJS when required.
    '/node_modules/content-disposition/.+\\.js$': ['@swc/jest', {}],
  },
  transformIgnorePatterns: ['/node_modules/(?!content-disposition/)'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testEnvironment: 'node',
};

export default {
  testTimeout: 60000,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/src/**/*.spec.ts'] },
    {
      ...common,
      displayName: 'e2e',
      testMatch: [
        '<rootDir>/test/e2e/**/*.e2e-spec.ts',
        // Several instances on one database need a database server (and Redis): PostgreSQL runs only.
        ...(process.env.DATABASE_URL && process.env.TEST_REDIS_URL ? ['<rootDir>/test/e2e/**/*.pg-e2e-spec.ts'] : []),
        // A real browser, when the run has one (`TEST_BROWSER`, set by .ci/run after installing chromium).
        ...(process.env.TEST_BROWSER ? ['<rootDir>/test/e2e/**/*.browser-e2e-spec.ts'] : []),
      ],
      globalSetup: '<rootDir>/test/setup/global-setup.mjs',
      globalTeardown: '<rootDir>/test/setup/global-teardown.mjs',
    },
  ],
};
