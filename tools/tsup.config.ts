import { defineConfig } from 'tsup'
import { packageConfig } from '../tsup.base'
export default defineConfig(packageConfig(['src/evaluate.ts', 'src/bench-upscale.ts', 'src/sample.ts', 'src/bench-video.ts', 'src/bench-ncnn.ts', 'src/bench-scale.ts', 'src/bench-scale-distributed.ts', 'src/bench-reuse.ts'], { dts: false }))
