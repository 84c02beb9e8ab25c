import { defineConfig } from 'tsup'
import { packageConfig } from '../../tools/tsup.base'

export default defineConfig([
  // The library, and the job process's entry (dist/job-runner.cjs, spawned by the server).
  packageConfig(['src/index.ts', 'src/job-runner.ts'], { dts: { entry: 'src/index.ts' }, clean: ['!browser/**'] }),
  // The page's scripts, compiled for browsers; served by the server as /app.js and /theme.js.
  {
    entry: { app: 'static/app.js', theme: 'static/app.js' },
    outDir: 'dist/browser',
    format: ['esm'],
    platform: 'browser',
    target: ['chrome111', 'firefox115', 'safari16'],
    sourcemap: true,
    clean: false,
    dts: false,
    splitting: false,
    outExtension: () => ({ js: '.js' }),
  },
])
