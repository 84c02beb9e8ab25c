import { defineConfig } from 'tsup'
import { packageConfig } from '../../tools/tsup.base'
export default defineConfig(packageConfig(['src/index.ts']))
