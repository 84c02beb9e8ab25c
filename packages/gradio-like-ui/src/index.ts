export { startServer, isLoopback, type RunningServer, type ServerOptions } from './server'
export { runFromCommandLine } from './command-line'
export { DEFAULT_SETTINGS, parseSettings, type DedupSettings, type UiSettings } from './settings'
export { sniff, type SniffedType } from '@anime-upscaler/core'
