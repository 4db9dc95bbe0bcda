/** Tests are TypeScript, run through ts-jest; real-model tests are slow on 2 cores. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/__tests__'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  testTimeout: 300000,
  maxWorkers: 2,
};
