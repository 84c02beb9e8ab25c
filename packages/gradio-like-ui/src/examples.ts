import { mkdir, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import sharp from 'sharp'
// The project's own sample drawing and clip (core's, the ones `pnpm demo` makes): drawn by the
// project, so they can be offered without shipping any media.
import { sampleSvg, writeSampleClip } from '@anime-upscaler/core'
import type { ExampleView } from './api-types'

interface Example extends ExampleView {
  file: string
  make(path: string): Promise<void>
}

const WIDTH = 480
const HEIGHT = 270

const EXAMPLES: Example[] = [
  {
    id: 'picture',
    title: 'Sample picture',
    description: `A drawing made by this project, PNG, ${WIDTH}×${HEIGHT}`,
    kind: 'image',
    file: 'anime-upscaler-sample.png',
    make: async (path) => void (await sharp(Buffer.from(sampleSvg(WIDTH, HEIGHT))).png().toFile(path)),
  },
  {
    id: 'clip',
    title: 'Sample clip',
    description: `That drawing animated on twos: 2 s, ${WIDTH}×${HEIGHT}, with sound`,
    kind: 'video',
    file: 'anime-upscaler-sample.mp4',
    make: (path) => writeSampleClip(path, WIDTH, HEIGHT),
  },
]

/** The example inputs offered on the page, made on first use into the work folder. */
export class Examples {
  private readonly made = new Map<string, Promise<string>>()

  constructor(private readonly dir: string) {}

  list(): ExampleView[] {
    return EXAMPLES.map(({ id, title, description, kind }) => ({ id, title, description, kind }))
  }

  /** The example's file name and path (made once; a failed attempt is tried again next time). */
  async file(id: string): Promise<{ name: string; path: string } | undefined> {
    const example = EXAMPLES.find((candidate) => candidate.id === id)
    if (!example) return undefined
    let making = this.made.get(id)
    if (!making) {
      making = this.make(example)
      this.made.set(id, making)
      making.catch(() => this.made.delete(id))
    }
    return { name: example.file, path: await making }
  }

  private async make(example: Example): Promise<string> {
    await mkdir(this.dir, { recursive: true })
    const path = join(this.dir, example.file)
    const partial = join(this.dir, `partial-${example.file}`)
    try {
      await example.make(partial)
      await rename(partial, path)
      return path
    } finally {
      await rm(partial, { force: true })
    }
  }
}
