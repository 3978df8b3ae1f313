// The fault scripts ("Faults" in docs/reliability.md): each file starts, kills and restarts its own server processes
// (the built dist/src/main.js) and its own PostgreSQL, so no global setup. Run with
// `npm run test:faults` (builds first), which CI runs after `npm test`.
import { shared } from '../../jest.config.js';

/** @type {import('jest').Config} */
export default {
  rootDir: '../..',
  displayName: 'faults',
  ...shared,
  roots: ['<rootDir>/test/faults'],
  testMatch: ['**/*.fault-spec.ts'],
  testTimeout: 240000,
  // One line per test, so the failing cases are easy to read in a run of several files.
  verbose: true,
};
