import type { Options } from 'tsup'

/**
 * The one build configuration every package shares: ESM + CJS + declarations for Node 20.
 * `__dirname` is shimmed in the ESM output so packages can locate files they ship (workers, weights).
 */
export function packageConfig(entry: string[], overrides: Partial<Options> = {}): Options {
  return {
    entry,
    format: ['esm', 'cjs'],
    target: 'node20',
    platform: 'node',
    dts: true,
    sourcemap: true,
    clean: true,
    shims: true,
    splitting: false,
    outDir: 'dist',
    ...overrides,
  }
}
