// Compile-only: `pnpm lint` (tsc) checks this file; nothing here runs. Each exported option type
// must be accepted, as a value of that type, by every function that takes it.
import { defaultSettings, parseSettings, startServer, type RunningServer, type ServerOptions, type UiSettings } from '../src/index'

declare const options: ServerOptions
const server: Promise<RunningServer> = startServer(options)
void startServer({ port: 0, maxConcurrentJobs: 1, host: '0.0.0.0', token: 'a-long-token' })
const settings: UiSettings = parseSettings({ ...defaultSettings(), scale: 4 })
const dedup: UiSettings['dedup'] = { ...settings.dedup, detector: 'hash' }
void [server, dedup]

// @ts-expect-error port is a number
void startServer({ port: '7860' })
