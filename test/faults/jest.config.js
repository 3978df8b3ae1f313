// The fault scripts of issue 7: each file starts, kills and restarts its own server processes
// (the built dist/src/main.js) and its own PostgreSQL, so no global setup. Run with
// `npm run test:faults` (builds first); the 60 s load run is skipped unless FAULTS_LOAD=1.
const swcTransform = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
      target: 'es2022',
    },
    module: { type: 'es6' },
  },
];

/** @type {import('jest').Config} */
export default {
  rootDir: '../..',
  displayName: 'faults',
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': swcTransform },
  roots: ['<rootDir>/test/faults'],
  testMatch: ['**/*.fault-spec.ts'],
  testTimeout: 240000,
  // One line per test, so the failing cases are easy to read in a run of several files.
  verbose: true,
};
