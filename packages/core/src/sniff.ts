/** What an upload's first bytes say it is. The file name is never consulted. */
export interface SniffedType {
  kind: 'image' | 'video'
  /** MIME type served back to the browser. */
  mime: string
  /** Extension the file is stored under (core chooses formats from extensions). */
  extension: string
  /** Human name for messages. */
  label: string
}

/** A GIF of more than one frame: upscaled as a video (every frame), not as its first picture. */
export const ANIMATED_GIF: SniffedType = { kind: 'video', mime: 'image/gif', extension: '.gif', label: 'Animated GIF (upscaled as a video)' }

/** Bytes `sniff` looks at; a TS stream needs three 188-byte packets. */
export const SNIFF_BYTES = 4096

const IMAGE = (mime: string, extension: string, label: string): SniffedType => ({ kind: 'image', mime, extension, label })
const VIDEO = (mime: string, extension: string, label: string): SniffedType => ({ kind: 'video', mime, extension, label })

function startsWith(bytes: Buffer, signature: number[] | string, offset = 0): boolean {
  const expected = typeof signature === 'string' ? Buffer.from(signature, 'latin1') : Buffer.from(signature)
  return bytes.length >= offset + expected.length && bytes.subarray(offset, offset + expected.length).equals(expected)
}

/** ISO base media (MP4, MOV, AVIF, HEIF): the major brand and compatible brands of the `ftyp` box. */
function ftypBrands(bytes: Buffer): string[] | undefined {
  if (!startsWith(bytes, 'ftyp', 4)) return undefined
  const size = bytes.readUInt32BE(0)
  const end = Math.min(bytes.length, Math.max(16, size))
  const brands = [bytes.toString('latin1', 8, 12)]
  for (let offset = 16; offset + 4 <= end; offset += 4) brands.push(bytes.toString('latin1', offset, offset + 4))
  return brands
}

const MP4_BRANDS = /^(isom|iso[2-9]|mp41|mp42|mp71|avc1|hvc1|M4V |M4VP|M4A |f4v |dash|MSNV|NDAS|3gp[4-9]|3g2[abc]|mmp4|XAVC|MP4 )$/
const QUICKTIME_ATOMS = ['moov', 'mdat', 'wide', 'free', 'skip', 'pnot']

function isTransportStream(bytes: Buffer, packet: number, offset: number): boolean {
  const packets = Math.min(3, Math.floor((bytes.length - offset) / packet))
  if (packets < 2) return false
  for (let i = 0; i < packets; i++) if (bytes[offset + i * packet] !== 0x47) return false
  return true
}

/**
 * Identifies the image and video formats core can read from their magic bytes, or returns
 * undefined (the upload is then refused with 415). BMP and HEIC are refused: sharp cannot decode them.
 */
export function sniff(bytes: Buffer): SniffedType | undefined {
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return IMAGE('image/png', '.png', 'PNG image')
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return IMAGE('image/jpeg', '.jpg', 'JPEG image')
  if (startsWith(bytes, 'GIF87a') || startsWith(bytes, 'GIF89a')) return IMAGE('image/gif', '.gif', 'GIF image')
  if (startsWith(bytes, 'RIFF') && startsWith(bytes, 'WEBP', 8)) return IMAGE('image/webp', '.webp', 'WebP image')
  if (startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a])) return IMAGE('image/tiff', '.tiff', 'TIFF image')
  if (startsWith(bytes, 'RIFF') && startsWith(bytes, 'AVI ', 8)) return VIDEO('video/x-msvideo', '.avi', 'AVI video')

  const brands = ftypBrands(bytes)
  if (brands) {
    if (brands[0] === 'avif' || brands[0] === 'avis') return IMAGE('image/avif', '.avif', 'AVIF image')
    if (brands[0] === 'qt  ') return VIDEO('video/quicktime', '.mov', 'QuickTime video')
    if (brands.some((brand) => MP4_BRANDS.test(brand))) return VIDEO('video/mp4', '.mp4', 'MP4 video')
    if (brands.includes('avif')) return IMAGE('image/avif', '.avif', 'AVIF image')
    return undefined
  }
  if (bytes.length >= 8 && QUICKTIME_ATOMS.some((atom) => startsWith(bytes, atom, 4))) return VIDEO('video/quicktime', '.mov', 'QuickTime video')

  if (startsWith(bytes, [0x1a, 0x45, 0xdf, 0xa3])) {
    // The EBML header names the DocType within its first few dozen bytes.
    return bytes.subarray(0, 64).includes(Buffer.from('webm', 'latin1')) ? VIDEO('video/webm', '.webm', 'WebM video') : VIDEO('video/x-matroska', '.mkv', 'Matroska video')
  }
  if (startsWith(bytes, [0x46, 0x4c, 0x56, 0x01])) return VIDEO('video/x-flv', '.flv', 'FLV video')
  if (startsWith(bytes, [0x30, 0x26, 0xb2, 0x75, 0x8e, 0x66, 0xcf, 0x11])) return VIDEO('video/x-ms-wmv', '.wmv', 'Windows Media video')
  if (startsWith(bytes, 'OggS')) return VIDEO('video/ogg', '.ogv', 'Ogg video')
  if (startsWith(bytes, [0x00, 0x00, 0x01, 0xba]) || startsWith(bytes, [0x00, 0x00, 0x01, 0xb3])) return VIDEO('video/mpeg', '.mpg', 'MPEG video')
  if (isTransportStream(bytes, 188, 0)) return VIDEO('video/mp2t', '.ts', 'MPEG transport stream')
  if (isTransportStream(bytes, 192, 4)) return VIDEO('video/mp2t', '.m2ts', 'MPEG transport stream')
  return undefined
}

/** What a refused upload looks like, for the 415 message. */
export function describeUnknown(bytes: Buffer): string {
  if (bytes.length === 0) return 'the file is empty'
  if (startsWith(bytes, 'BM')) return 'it looks like a BMP image, which cannot be decoded here; convert it to PNG first'
  const brands = ftypBrands(bytes)
  if (brands && brands.some((brand) => /^(heic|heix|mif1|msf1|hevc)$/.test(brand))) return 'it looks like a HEIC/HEIF image, which cannot be decoded here; convert it to PNG or JPEG first'
  if (startsWith(bytes, '%PDF')) return 'it is a PDF document'
  if (startsWith(bytes, 'PK')) return 'it is a ZIP archive'
  const text = bytes.subarray(0, 512)
  if (text.every((byte) => byte === 0x09 || byte === 0x0a || byte === 0x0d || (byte >= 0x20 && byte < 0x7f) || byte >= 0x80)) return 'it looks like text'
  return 'its content has no known image or video signature'
}
