// Compile-only: `pnpm lint` (tsc) checks this file; nothing here runs. Each exported option type
// must be accepted, as a value of that type, by every function that takes it.
import type { Observable } from 'rxjs'
import { detectDuplicates, loadDetector, type CompareFunction, type DetectFrame, type DetectOptions, type DetectedFrame, type LoadDetectorOptions } from '../src/index'

type Clip = DetectFrame & { pts: number }
declare const options: DetectOptions
declare const clipOptions: DetectOptions<Clip>
declare const loadOptions: LoadDetectorOptions
declare const clip: Observable<Clip>

const marked: Observable<Clip & { duplicateOf?: number }> = clip.pipe(detectDuplicates(clipOptions))
const plain: Observable<DetectedFrame> = (clip as Observable<DetectFrame>).pipe(detectDuplicates(options))
const sameImage: CompareFunction<Clip> = (previous, current) => previous.image.data.length === current.image.data.length && previous.pts < current.pts
clip.pipe(detectDuplicates({ detector: sameImage, maxRun: 24 }))
clip.pipe(detectDuplicates({ detector: './my-detector.mjs' }))
void loadDetector<Clip>('./my-detector.mjs', loadOptions).then((detector) => clip.pipe(detectDuplicates({ detector })))
void [marked, plain]

// @ts-expect-error matrix is auto, bt601 or bt709
detectDuplicates({ matrix: 'bt2020' })
// @ts-expect-error hi is a number
detectDuplicates({ hi: '768' })
