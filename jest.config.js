/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/tests'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  moduleFileExtensions: ['ts', 'js', 'json'],
  globalSetup: '<rootDir>/tests/support/global-setup.ts',
  globalTeardown: '<rootDir>/tests/support/global-teardown.ts',
  setupFilesAfterEnv: ['<rootDir>/tests/support/after-each-file.ts'],
  // A bound, not a wait: CPU-heavy tests (argon2, OpenPGP keys) take 10 s on a quiet 2-core
  // machine and three times that when it is shared; real-stack files set their own (wait-until.ts).
  testTimeout: 120_000,
};
