/** TypeScript through swc, as ES modules: shared with test/faults/jest.config.js. */
export const swcTransform = [
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

export const shared = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': swcTransform },
};

/** @type {import('jest').Config} */
export default {
  // Per-project testTimeout is ignored by Jest; e2e files start server processes.
  testTimeout: 60000,
  // Jest's default on 2 cores is one worker; e2e files spend most of their time waiting on their
  // server process and PostgreSQL, so two at once took the suite from about 214 s to 135 s here.
  maxWorkers: 2,
  projects: [
    {
      ...shared,
      displayName: 'unit',
      roots: ['<rootDir>/src'],
      testMatch: ['**/*.spec.ts'],
      // The CLS libraries' CommonJS builds cannot load Nest 12's ES modules under Jest on Node 20.
      moduleNameMapper: {
        ...shared.moduleNameMapper,
        '^nestjs-cls$': '<rootDir>/test/doubles/nestjs-cls.ts',
        '^@nestjs-cls/transactional$': '<rootDir>/test/doubles/nestjs-cls-transactional.ts',
        '^@nestjs-cls/transactional-adapter-typeorm$': '<rootDir>/test/doubles/nestjs-cls-transactional-adapter-typeorm.ts',
      },
    },
    {
      ...shared,
      displayName: 'e2e',
      roots: ['<rootDir>/test'],
      testMatch: ['**/*.e2e-spec.ts'],
      globalSetup: '<rootDir>/test/setup/global-setup.mjs',
      globalTeardown: '<rootDir>/test/setup/global-teardown.mjs',
    },
  ],
};
