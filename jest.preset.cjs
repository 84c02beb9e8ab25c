/** Shared jest settings: TypeScript through ts-jest (transpile only; `lint` type-checks). */
// Set here, in the process that starts the test workers (they inherit it): a test's own process.env
// is a copy that native code never reads. Tests that open onnxruntime sessions themselves would
// otherwise leave its telemetry files (`.ses`, `mat-debug-<pid>.log`) in the temp folder.
process.env.ORT_DISABLE_TELEMETRY ??= '1'
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
