export {
  AnimeUpscalerError,
  LIBRARY_WORDING,
  describeError,
  describeValue,
  literal,
  message,
  messageOf,
  optionName,
  optionSetting,
  renderMessage,
  type ErrorDetails,
  type MessagePart,
  type OptionReference,
  type OptionWording,
} from './errors'
export { createValidators, type InvalidArgumentFactory, type Validators } from './validate'
export { parseRational, rationalFromNumber, reduce, sameRational, toNumber, type Rational } from './rational'
export { BinaryError, cacheFolder, chooseBinary, readVersion, resolveBinary, type BinaryChoice, type BinaryName, type BinarySource, type LookupEnvironment, type PackageLoader } from './binaries'
export { LineSplitter, ManagedProcess, ProcessError, STOP_GRACE_MS, abortError, isRunning, lastLines, runProcess, waitForExit, type ExitStatus, type ManagedProcessOptions, type RunResult } from './process'
export { OutputError, checkOutputPath, exists, moveIntoPlace, outputExists, removeStalePartials, temporarySibling, writeAtomically } from './files'
export { stopSpawnHelper, useSpawnHelper, type SpawnedChild } from './spawner/launch'
export { HUGE_PAGES_TUNABLE, modelProcessEnv } from './model-process'
