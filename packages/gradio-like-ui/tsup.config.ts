import { defineConfig, type Options } from 'tsup'
import { packageConfig } from '../../tsup.base'

/** The page's TypeScript, compiled for browsers into dist/browser/ (served as /app.js and /theme.js). */
function browser(entry: Record<string, string>, format: 'esm' | 'iife'): Options {
  return {
    entry,
    outDir: 'dist/browser',
    format: [format],
    platform: 'browser',
    target: ['chrome111', 'firefox115', 'safari16'],
    tsconfig: 'src/browser/tsconfig.json',
    sourcemap: true,
    clean: false,
    dts: false,
    splitting: false,
    outExtension: () => ({ js: '.js' }),
  }
}

export default defineConfig([
  // The library, and the job process's entry (dist/job-runner.cjs, spawned by the server).
  packageConfig(['src/index.ts', 'src/job-runner.ts'], { dts: { entry: 'src/index.ts' }, clean: ['!browser/**'] }),
  browser({ app: 'src/browser/main.ts' }, 'esm'),
  // A classic script in <head>: sets the theme before the first paint.
  browser({ theme: 'src/browser/theme.ts' }, 'iife'),
])
