/** Jest runs TypeScript through @swc/jest (type-checking is done separately by `tsc`). */
export default {
  testEnvironment: 'node',
  roots: ['<rootDir>/src', '<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2023' } }] },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testTimeout: 60000,
  setupFilesAfterEnv: ['<rootDir>/test/setup/scratch-cleanup.ts'],
};
