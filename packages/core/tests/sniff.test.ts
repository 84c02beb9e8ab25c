import { sniff } from '../src/sniff'

const bytes = (...parts: (string | number[])[]) => Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part, 'latin1') : Buffer.from(part))))

describe('sniff', () => {
  test.each([
    ['png', bytes([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'rest'), 'image/png'],
    ['jpeg', bytes([0xff, 0xd8, 0xff, 0xe0]), 'image/jpeg'],
    ['gif', bytes('GIF89a....'), 'image/gif'],
    ['webp', bytes('RIFF', [0, 0, 0, 0], 'WEBPVP8 '), 'image/webp'],
    ['avif', bytes([0, 0, 0, 0x1c], 'ftypavif', [0, 0, 0, 0], 'avifmif1miaf'), 'image/avif'],
    ['tiff', bytes([0x49, 0x49, 0x2a, 0x00], 'xxxx'), 'image/tiff'],
    ['mp4', bytes([0, 0, 0, 0x20], 'ftypisom', [0, 0, 2, 0], 'isomiso2avc1mp41'), 'video/mp4'],
    ['mov', bytes([0, 0, 0, 0x14], 'ftypqt  ', [0, 0, 0, 0], 'qt  '), 'video/quicktime'],
    ['webm', bytes([0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x86, 0x81, 0x01], 'B\u0082\u0084webm'), 'video/webm'],
    ['mkv', bytes([0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x86, 0x81, 0x01], 'B\u0082\u0088matroska'), 'video/x-matroska'],
    ['avi', bytes('RIFF', [0, 0, 0, 0], 'AVI LIST'), 'video/x-msvideo'],
    ['ts', Buffer.concat([0, 1, 2].map(() => Buffer.concat([Buffer.from([0x47]), Buffer.alloc(187)]))), 'video/mp2t'],
  ])('%s by its magic bytes', (_name, content, mime) => {
    expect(sniff(content)?.mime).toBe(mime)
  })

  test.each([
    ['text', bytes('hello world, not a picture')],
    ['bmp (sharp cannot decode it)', bytes('BM', [0, 0, 0, 0, 0, 0, 0, 0])],
    ['heic', bytes([0, 0, 0, 0x18], 'ftypheic', [0, 0, 0, 0], 'mif1heic')],
    ['pdf', bytes('%PDF-1.7')],
    ['empty', Buffer.alloc(0)],
  ])('%s is refused', (_name, content) => {
    expect(sniff(content)).toBeUndefined()
  })
})
