import { existsSync, statSync } from 'node:fs'
import { isAbsolute, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import vm from 'node:vm'
import { DetectError, describeValue, errorMessage, invalidArgument } from './errors'
import { looksLikeModulePath, normalizeDetector } from './options'
import type { CompareDetector, DetectFrame, OperatorDetector } from './types'

export interface LoadDetectorOptions {
  /** Folder relative paths are resolved from. Default: `process.cwd()`. */
  cwd?: string
}

// A real `import()`, kept out of reach of compilers that would turn it into `require()`.
const nativeImport = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<Record<string, unknown>>

/**
 * Loads with import(). Inside a vm sandbox without a dynamic-import hook (jest's CommonJS
 * environment), import() fails; Node's main-context loader is then used through a vm.Script.
 */
async function importModule(url: string): Promise<Record<string, unknown>> {
  try {
    return await nativeImport(url)
  } catch (error) {
    const code = (error as { code?: string }).code
    const loader = (vm.constants as unknown as { USE_MAIN_CONTEXT_DEFAULT_LOADER?: unknown } | undefined)?.USE_MAIN_CONTEXT_DEFAULT_LOADER
    if (!loader || !(code?.startsWith('ERR_VM_DYNAMIC_IMPORT') || /experimental-vm-modules|dynamic import callback/i.test(errorMessage(error)))) throw error
    const mainImport = new vm.Script('(specifier) => import(specifier)', { importModuleDynamically: loader as never }).runInThisContext() as typeof nativeImport
    return await mainImport(url)
  }
}

function exportNames(namespace: Record<string, unknown>): string {
  const names = Object.keys(namespace).filter((k) => k !== '__esModule')
  return names.length ? names.join(', ') : 'nothing'
}

/**
 * Loads a custom detector from a module: `'./my-detector.mjs'` (a path, resolved from `cwd`), a
 * `file:` URL, or an installed package name. The module exports, by preference:
 * - a default export that is a compare function `(previousKept, current, held) => Verdict | Promise<Verdict>`,
 *   or an object with `compare()` (and optionally `init()`, `close()`, `name`), or with `operator`;
 * - or named exports `compare` (with optional `init`, `close`, `name`) or `operator`.
 * Errors: `E_DETECTOR_NOT_FOUND`, `E_DETECTOR` (the module threw while loading), `E_DETECTOR_INVALID`.
 */
export async function loadDetector<F extends DetectFrame = DetectFrame>(specifier: string, options: LoadDetectorOptions = {}): Promise<CompareDetector<F> | OperatorDetector<F>> {
  if (typeof specifier !== 'string' || specifier.length === 0) throw invalidArgument('a module path', 'detector', specifier)
  const cwd = options.cwd ?? process.cwd()
  if (typeof cwd !== 'string') throw invalidArgument('a folder path', 'cwd', cwd)
  const label = `'${specifier}'`
  const isPath = looksLikeModulePath(specifier) && !specifier.startsWith('file:')
  let url = specifier
  if (isPath || specifier.startsWith('file:')) {
    const file = specifier.startsWith('file:') ? fileURLToPath(specifier) : isAbsolute(specifier) ? specifier : resolve(cwd, specifier)
    if (!existsSync(file)) {
      throw new DetectError('E_DETECTOR_NOT_FOUND', `Detector module ${label} not found: there is no file ${file}`, { detector: specifier })
    }
    if (statSync(file).isDirectory()) {
      throw new DetectError('E_DETECTOR_NOT_FOUND', `Detector module ${label} is a folder (${file}); give the path of the module file`, { detector: specifier })
    }
    url = pathToFileURL(file).href
  }
  let namespace: Record<string, unknown>
  try {
    namespace = await importModule(url)
  } catch (error) {
    const code = (error as { code?: string }).code
    if (!isPath && (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && errorMessage(error).includes(specifier)) {
      throw new DetectError('E_DETECTOR_NOT_FOUND', `Detector module ${label} not found: no such package is installed (for a file, write './${specifier}')`, { cause: error, detector: specifier })
    }
    throw new DetectError('E_DETECTOR', `Detector module ${label} failed to load: ${errorMessage(error)}`, { cause: error, detector: specifier })
  }
  const fromDefault = namespace.default
  let found: ReturnType<typeof normalizeDetector<F>>
  try {
    found = (fromDefault !== undefined ? normalizeDetector<F>(fromDefault, specifier) : undefined) ?? normalizeDetector<F>(namespace, specifier)
  } catch (error) {
    throw new DetectError('E_DETECTOR_INVALID', `Detector module ${label}: ${errorMessage(error)}`, { cause: error, detector: specifier })
  }
  if (!found) {
    throw new DetectError(
      'E_DETECTOR_INVALID',
      `Detector module ${label} does not export a detector: expected a default export that is a compare function ` +
        `(previousKept, current) => boolean, or an object with compare() or operator, or named exports compare / operator ` +
        `(it exports ${exportNames(namespace)}${fromDefault !== undefined ? `; its default export is ${describeValue(fromDefault)}` : ''})`,
      { detector: specifier },
    )
  }
  const name = found.name !== specifier && found.name !== 'default' && found.name !== 'compare' ? `${found.name} (${specifier})` : specifier
  // Delegate rather than copy, so methods keep their `this` (class instances, prototype methods).
  if (found.kind === 'operator') {
    const detector = found.detector
    return { name, operator: (frames) => detector.operator(frames) }
  }
  const detector = found.detector
  return {
    name,
    ...(detector.init ? { init: () => detector.init!() } : {}),
    compare: (previousKept, current, held) => detector.compare(previousKept, current, held),
    ...(detector.close ? { close: () => detector.close!() } : {}),
  }
}
