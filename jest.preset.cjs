/** Shared jest settings: TypeScript through ts-jest (transpile only; `lint` type-checks). */
module.exports = {
  testEnvironment: 'node',
  setupFiles: ['<rootDir>/../../tools/jest/main-realm-typed-arrays.cjs'],
  testMatch: ['<rootDir>/tests/**/*.test.ts'],
  transform: {
    '^.+\\.ts$': [
      'ts-jest',
      {
        tsconfig: { module: 'commonjs', moduleResolution: 'node', target: 'ES2022', esModuleInterop: true, isolatedModules: true },
      },
    ],
  },
  // Workspace packages resolve to their sources, so a test never runs against a stale build.
  moduleNameMapper: {
    '^@anime-upscaler/([a-z-]+)$': '<rootDir>/../$1/src/index.ts',
  },
  testTimeout: 60000,
}
