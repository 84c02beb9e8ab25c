// The bad-input corpus: what a hostile but ordinary user types, run as a real command. Every case
// checks the exit code, the words of the message, that nothing reached the destination, that the
// temp directory is as empty as before, and that no process of the run is left.
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { resolveFfmpeg } from '@anime-upscaler/core'
import sharp from 'sharp'
import { processesMentioning } from './helpers'

const BIN = resolve(__dirname, '../dist/bin.js')
let dir = ''

function ffmpeg(...args: string[]): void {
  execFileSync(resolveFfmpeg(), ['-v', 'error', '-y', ...args], { cwd: dir })
}

/** Inputs every case may use, made once: real media of each kind, and things that only look like it. */
async function makeInputs(): Promise<void> {
  await sharp({ create: { width: 64, height: 64, channels: 3, background: '#c8a' } }).png().toFile(join(dir, 'pic.png'))
  await sharp({ create: { width: 64, height: 64, channels: 3, background: '#8ac' } }).jpeg().toFile(join(dir, 'pic.jpg'))
  writeFileSync(join(dir, 'broken.jpg'), readFileSync(join(dir, 'pic.jpg')).subarray(0, 200))
  writeFileSync(join(dir, 'broken.png'), readFileSync(join(dir, 'pic.png')).subarray(0, 60))
  ffmpeg('-f', 'lavfi', '-i', 'testsrc2=size=64x48:rate=12:duration=1', '-f', 'lavfi', '-i', 'sine=duration=1', '-c:v', 'libx264', '-c:a', 'libopus', '-shortest', 'opus.mkv')
  ffmpeg('-f', 'lavfi', '-i', 'testsrc2=size=64x48:rate=12:duration=1', '-c:v', 'libx264', 'clip.mp4')
  writeFileSync(join(dir, 'subs.ass'), '[Script Info]\nScriptType: v4.00+\n\n[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\nDialogue: 0,0:00:00.00,0:00:01.00,Default,,0,0,0,,Hi\n')
  writeFileSync(join(dir, 'font.ttf'), 'not really a font')
  ffmpeg('-i', 'clip.mp4', '-i', 'subs.ass', '-map', '0', '-map', '1', '-c:v', 'copy', '-c:s', 'ass', 'subs.mkv')
  ffmpeg('-i', 'clip.mp4', '-c', 'copy', '-attach', 'font.ttf', '-metadata:s:t', 'mimetype=application/x-truetype-font', 'font.mkv')
  ffmpeg('-f', 'lavfi', '-i', 'sine=duration=1', '-c:a', 'aac', 'audio.m4a')
  ffmpeg('-f', 'lavfi', '-i', 'testsrc2=size=64x48:rate=24:duration=4', '-c:v', 'libx264', '-movflags', '+faststart', 'whole.mp4')
  const whole = readFileSync(join(dir, 'whole.mp4'))
  writeFileSync(join(dir, 'truncated.mp4'), whole.subarray(0, Math.floor(whole.length * 0.6)))
  writeFileSync(join(dir, 'text.mp4'), 'this is not a video, only text pretending to be one\n')
  writeFileSync(join(dir, 'empty.png'), '')
  writeFileSync(join(dir, 'model.onnx'), 'not a model')
  writeFileSync(join(dir, 'taken.png'), 'keep me')
  writeFileSync(join(dir, 'taken.mkv'), 'keep me')
  mkdirSync(join(dir, 'a-folder.mkv'))
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'anime-upscaler-bad-input-'))
  await makeInputs()
}, 120_000)
afterAll(() => rmSync(dir, { recursive: true, force: true }))

interface Case {
  args: string[]
  code: number
  /** The words the user must see on stderr. */
  says: RegExp
  /** What must not exist afterwards (relative to the corpus folder). */
  nothingAt?: string
}

const SMALL = ['--model', 'anime4k-s', '--workers', '1']

const CASES: Record<string, Case> = {
  'no command': { args: [], code: 2, says: /Usage: anime-upscaler/ },
  'upscale without -o': { args: ['upscale', 'pic.png'], code: 2, says: /required option '-o, --output <path>' not specified/ },
  'an unknown flag': { args: ['upscale', 'pic.png', '-o', 'x.png', '--turbo'], code: 2, says: /unknown option '--turbo'/, nothingAt: 'x.png' },
  'a negative scale': { args: ['upscale', 'pic.png', '-o', 'x.png', '--scale', '-1'], code: 2, says: /Expected positive number for --scale but received '-1'/, nothingAt: 'x.png' },
  'scale and width together': { args: ['upscale', 'pic.png', '-o', 'x.png', '--scale', '2', '--width', '100'], code: 2, says: /Give either --scale or --width\/--height, not both/, nothingAt: 'x.png' },
  'tile 0': { args: ['upscale', 'pic.png', '-o', 'x.png', '--tile', '0'], code: 2, says: /Expected positive integer for --tile but received '0'/, nothingAt: 'x.png' },
  'a negative tile overlap': { args: ['upscale', 'pic.png', '-o', 'x.png', '--tile-overlap', '-1'], code: 2, says: /Expected non-negative integer for --tile-overlap but received '-1'/ },
  'workers 0': { args: ['upscale', 'pic.png', '-o', 'x.png', '--workers', '0'], code: 2, says: /Expected positive integer for --workers but received '0'/ },
  'a thousand threads': { args: ['upscale', 'clip.mp4', '-o', 'x.mkv', '--threads', '1000'], code: 2, says: /Expected at most \d+ model threads in all \(4 per core on this \d+-core machine\) but --workers \d+ × --threads 1000/, nothingAt: 'x.mkv' },
  'a thousand workers': { args: ['upscale', 'pic.png', '-o', 'x.png', '--workers', '1000'], code: 2, says: /Expected at most \d+ model threads in all .* --workers 1000/, nothingAt: 'x.png' },
  'a video two million pixels wide': { args: ['upscale', 'clip.mp4', '-o', 'x.mkv', '--width', '2000000'], code: 2, says: /The output would be 2000000x1500000 \(3000 gigapixels\), more than --max-output-pixels/, nothingAt: 'x.mkv' },
  'an image two million pixels wide': { args: ['upscale', 'pic.png', '-o', 'x.png', '--width', '2000000'], code: 1, says: /The output would be 2000000x2000000 .*more than --max-output-pixels/, nothingAt: 'x.png' },
  'max-pixels below the input': { args: ['upscale', 'pic.png', '-o', 'x.png', '--max-pixels', '100', ...SMALL], code: 1, says: /is 64x64 \(4096 pixels\), more than --max-pixels \(100 pixels\): raise --max-pixels if you have the memory/, nothingAt: 'x.png' },
  'quality 101': { args: ['upscale', 'pic.png', '-o', 'x.jpg', '--quality', '101'], code: 2, says: /Expected integer from 1 to 100 for --quality but received 101/, nothingAt: 'x.jpg' },
  'an image format that does not exist': { args: ['upscale', 'pic.png', '-o', 'out', '--format', 'bmp'], code: 2, says: /Expected --format 'png', 'jpg', 'webp', 'avif' but received 'bmp'/, nothingAt: 'out' },
  'an image output without a known extension': { args: ['upscale', 'pic.png', '-o', 'x.tga'], code: 2, says: /Cannot write x\.tga: use an extension \.png, \.jpg, \.webp or \.avif, or give --format/, nothingAt: 'x.tga' },
  'a codec that does not exist': { args: ['upscale', 'clip.mp4', '-o', 'x.mkv', '--codec', 'h266'], code: 2, says: /option '--codec <codec>' argument 'h266' is invalid/, nothingAt: 'x.mkv' },
  'crf 99': { args: ['upscale', 'clip.mp4', '-o', 'x.mkv', '--crf', '99', ...SMALL], code: 2, says: /Expected integer from 0 to 51 for --crf but received 99/, nothingAt: 'x.mkv' },
  'crf with the lossless ffv1': { args: ['upscale', 'clip.mp4', '-o', 'x.mkv', '--codec', 'ffv1', '--crf', '5', ...SMALL], code: 2, says: /crf does not apply to ffv1/, nothingAt: 'x.mkv' },
  'a preset that does not exist': { args: ['upscale', 'clip.mp4', '-o', 'x.mkv', '--preset', 'turbo'], code: 2, says: /option '--preset <preset>' argument 'turbo' is invalid/ },
  'a pixel format that does not exist': { args: ['upscale', 'clip.mp4', '-o', 'x.mkv', '--pix-fmt', 'rgb24'], code: 2, says: /option '--pix-fmt <format>' argument 'rgb24' is invalid/ },
  'an audio codec that does not exist': { args: ['upscale', 'clip.mp4', '-o', 'x.mkv', '--audio-codec', 'mp5'], code: 2, says: /option '--audio-codec <codec>' argument 'mp5' is invalid/ },
  'attachments neither copy nor none': { args: ['upscale', 'clip.mp4', '-o', 'x.mkv', '--attachments', 'some'], code: 2, says: /option '--attachments <what>' argument 'some' is invalid/ },
  'a mode that does not exist': { args: ['upscale', 'clip.mp4', '-o', 'x.mkv', '--mode', 'fast'], code: 2, says: /option '--mode <mode>' argument 'fast' is invalid/ },
  'capacity 0': { args: ['upscale', 'clip.mp4', '-o', 'x.mkv', '--capacity', '0'], code: 2, says: /Expected positive integer for --capacity but received '0'/ },
  'dedup-frac 2': { args: ['upscale', 'clip.mp4', '-o', 'x.mkv', '--dedup-frac', '2'], code: 2, says: /Expected number from 0 to 1 for --dedup-frac but received '2'/ },
  'a reuse mode that does not exist': { args: ['upscale', 'clip.mp4', '-o', 'x.mkv', '--reuse', 'sometimes'], code: 2, says: /option '--reuse <mode>' argument 'sometimes' is invalid/, nothingAt: 'x.mkv' },
  'reuse-refs 0': { args: ['upscale', 'clip.mp4', '-o', 'x.mkv', '--reuse-refs', '0'], code: 2, says: /Expected positive integer for --reuse-refs but received '0'/, nothingAt: 'x.mkv' },
  'a reuse tile that is not a multiple of 8': { args: ['upscale', 'clip.mp4', '-o', 'x.mkv', '--reuse-tile', '50', ...SMALL], code: 2, says: /Expected positive multiple of 8 for --reuse-tile but received 50/, nothingAt: 'x.mkv' },
  'a negative reuse threshold': { args: ['upscale', 'clip.mp4', '-o', 'x.mkv', '--reuse-threshold', '-5'], code: 2, says: /Expected non-negative number for --reuse-threshold but received '-5'/, nothingAt: 'x.mkv' },
  'more references than memory holds': { args: ['upscale', 'clip.mp4', '-o', 'x.mkv', '--reuse-refs', '100000', ...SMALL], code: 2, says: /100000 references do not fit the memory budget: .* so at most \d+ fit: lower --reuse-refs to \d+/, nothingAt: 'x.mkv' },
  'a detector module that does not exist': { args: ['upscale', 'clip.mp4', '-o', 'x.mkv', '--detector', './nowhere.mjs', ...SMALL], code: 2, says: /Detector module '\.\/nowhere\.mjs' not found/, nothingAt: 'x.mkv' },
  'a model that does not exist': { args: ['upscale', 'pic.png', '-o', 'x.png', '--model', 'nope'], code: 2, says: /Model not found: 'nope' is neither a built-in model/, nothingAt: 'x.png' },
  'a model file that is not ONNX': { args: ['upscale', 'pic.png', '-o', 'x.png', '--model', 'model.onnx'], code: 2, says: /Could not load model model\.onnx: it is not a valid ONNX model/, nothingAt: 'x.png' },
  'a missing image': { args: ['upscale', 'nothing.png', '-o', 'x.png'], code: 2, says: /Input not found: nothing\.png/, nothingAt: 'x.png' },
  'a missing video': { args: ['upscale', 'nothing.mkv', '-o', 'x.mkv'], code: 2, says: /Input not found: nothing\.mkv/, nothingAt: 'x.mkv' },
  'text named .mp4': { args: ['upscale', 'text.mp4', '-o', 'x.mkv'], code: 2, says: /text\.mp4 is neither an image nor a video: it looks like text/, nothingAt: 'x.mkv' },
  'an empty file named .png': { args: ['upscale', 'empty.png', '-o', 'x.mkv'], code: 2, says: /empty\.png is neither an image nor a video: the file is empty/, nothingAt: 'x.mkv' },
  'an audio-only file': { args: ['upscale', 'audio.m4a', '-o', 'x.mkv', ...SMALL], code: 2, says: /has no video stream \(it is audio-only: audio \(aac\)\)/, nothingAt: 'x.mkv' },
  'a video output container it cannot write': { args: ['upscale', 'clip.mp4', '-o', 'x.avi', ...SMALL], code: 2, says: /Expected output to end in \.mkv, \.webm, \.mp4, \.m4v, \.mov but received/, nothingAt: 'x.avi' },
  'an existing video output': { args: ['upscale', 'clip.mp4', '-o', 'taken.mkv', ...SMALL], code: 2, says: /Output '.*taken\.mkv' already exists: use --overwrite to replace it/ },
  'an existing image output': { args: ['upscale', 'pic.png', '-o', 'taken.png', ...SMALL], code: 2, says: /Output already exists: taken\.png: use --overwrite to replace/ },
  'a folder as the video output': { args: ['upscale', 'clip.mp4', '-o', 'a-folder.mkv', '--overwrite', ...SMALL], code: 2, says: /-o '.*a-folder\.mkv' is a folder: give a file name/ },
  'a plan file in a folder that takes no file': { args: ['upscale', 'clip.mp4', '-o', 'x.mkv', '--plan', '/proc/plan.json', ...SMALL], code: 2, says: /Cannot write --plan '\/proc\/plan\.json': the folder '\/proc' is not writable/, nothingAt: 'x.mkv' },
  'a video output in a folder that takes no file': { args: ['upscale', 'clip.mp4', '-o', '/proc/x.mkv', ...SMALL], code: 2, says: /Cannot write -o '\/proc\/x\.mkv': the folder '\/proc' is not writable/ },
  'Opus audio into MP4': { args: ['upscale', 'opus.mkv', '-o', 'x.mp4', ...SMALL], code: 2, says: /MP4 \(\.mp4\) cannot hold the source's opus audio .*: choose an \.mkv -o, or use --audio-codec aac to transcode it, or --audio-codec none to drop it/, nothingAt: 'x.mp4' },
  'ASS subtitles into MP4': { args: ['upscale', 'subs.mkv', '-o', 'x.mp4', ...SMALL], code: 2, says: /cannot hold the source's ass subtitles .*use --subtitle-codec mov_text to convert them/, nothingAt: 'x.mp4' },
  'a font attachment into MP4': { args: ['upscale', 'font.mkv', '-o', 'x.mp4', ...SMALL], code: 2, says: /cannot hold the source's attachment .*use --attachments none to drop it/, nothingAt: 'x.mp4' },
  'H.264 into WebM': { args: ['upscale', 'clip.mp4', '-o', 'x.webm', '--codec', 'libx264', ...SMALL], code: 2, says: /WebM \(\.webm\) cannot hold h264 video from --codec 'libx264': use --codec 'libvpx-vp9'/, nothingAt: 'x.webm' },
  'a truncated video': { args: ['upscale', 'truncated.mp4', '-o', 'x.mkv', ...SMALL], code: 1, says: /decode failed: Decoded \d+ of \d+ frames .* the file looks truncated or damaged.*: use --allow-truncated to accept the frames that decode/, nothingAt: 'x.mkv' },
  'a plan file for a batch of videos': { args: ['upscale', 'clip.mp4', 'subs.mkv', '-o', 'batch-out', '--plan', 'plan.json', ...SMALL], code: 2, says: /--plan names one file: plan one video at a time/, nothingAt: 'batch-out' },
  'two videos that would write one output': { args: ['upscale', 'clip.mp4', './clip.mp4', '-o', 'batch-out', ...SMALL], code: 2, says: /clip\.mp4 and \.\/clip\.mp4 would both be written to batch-out\/clip\.mp4; give them different names or separate runs/, nothingAt: 'batch-out' },
  'crf 99 for a batch of videos (wrong for every file: the batch stops at once)': { args: ['upscale', 'clip.mp4', 'subs.mkv', '-o', 'batch-out', '--crf', '99', ...SMALL], code: 2, says: /Expected integer from 0 to 51 for --crf but received 99/, nothingAt: 'batch-out' },
  'a glob that matches no image or video': { args: ['upscale', 'nowhere/*.mkv', '-o', 'batch-out'], code: 2, says: /No images or videos match nowhere\/\*\.mkv/, nothingAt: 'batch-out' },
  'a broken PNG': { args: ['upscale', 'broken.png', '-o', 'x.png', ...SMALL], code: 1, says: /Could not decode .*broken\.png: the file is truncated or corrupt \(\S/, nothingAt: 'x.png' },
  'a broken JPEG': { args: ['upscale', 'broken.jpg', '-o', 'x.png', ...SMALL], code: 1, says: /Could not decode .*broken\.jpg: the file is truncated or corrupt \((?!Unknown error)\S/, nothingAt: 'x.png' },
  'ui on port 99999': { args: ['ui', '--port', '99999'], code: 2, says: /Expected port number from 0 to 65535 for --port but received '99999'/ },
  'ui with a short token': { args: ['ui', '--token', 'abc'], code: 2, says: /Expected at least 8 printable ASCII characters without spaces for --token but received .*: choose a longer token/ },
  'ui on a host that is not this machine': { args: ['ui', '--host', '192.0.2.1', '--token', 'long-enough-token'], code: 2, says: /Cannot listen on 192\.0\.2\.1: it is not an address of this machine: use 127\.0\.0\.1/ },
  'ui with max-files 0': { args: ['ui', '--max-files', '0'], code: 2, says: /Expected positive integer for --max-files but received '0'/ },
  'probe of a missing file': { args: ['probe', 'nothing.mkv'], code: 2, says: /Input file not found/ },
  'models with an unknown flag': { args: ['models', '--bogus'], code: 2, says: /unknown option '--bogus'/ },
}

describe('the bad-input corpus', () => {
  test(`has at least 40 cases (${Object.keys(CASES).length})`, () => {
    expect(Object.keys(CASES).length).toBeGreaterThanOrEqual(40)
  })

  test.each(Object.entries(CASES))('%s', (_name, { args, code, says, nothingAt }) => {
    const temp = mkdtempSync(join(dir, 'tmp-'))
    const result = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: 'utf8', timeout: 120_000, env: { ...process.env, TMPDIR: temp } })
    expect({ code: result.status, stderr: result.stderr }).toEqual({ code, stderr: expect.stringMatching(says) })
    expect(result.stderr).not.toMatch(/terminate called|Napi::Error|\n\s+at /)
    if (nothingAt) expect(existsSync(join(dir, nothingAt))).toBe(false)
    expect(readdirSync(dir).filter((name) => name.includes('.partial'))).toEqual([])
    expect(readdirSync(temp)).toEqual([])
    expect(processesMentioning(dir)).toEqual([])
    rmSync(temp, { recursive: true })
  })
})
