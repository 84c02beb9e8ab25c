import { createRequire } from 'node:module'
import * as ort from 'onnxruntime-node'

export const PROVIDERS = ['cpu', 'cuda', 'coreml', 'dml', 'webgpu'] as const
/** An onnxruntime execution provider. */
export type Provider = (typeof PROVIDERS)[number]

const INSTALL_HINTS: Record<Exclude<Provider, 'cpu'>, string> = {
  // onnxruntime-node's install script fetches these from NuGet; installs skip it (it fails without access beyond npm).
  cuda: "to download them (CUDA 12, Linux x64 with an NVIDIA GPU, from NuGet) run 'ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node'; with pnpm, allow onnxruntime-node's build, then the same with pnpm rebuild",
  coreml: 'CoreML is available only on macOS',
  dml: 'DirectML is available only on Windows',
  webgpu: 'WebGPU needs a GPU with working Vulkan, Metal or D3D12 drivers',
}

/** Why `provider` cannot run here, or undefined when onnxruntime-node ships it for this platform. */
export function providerUnavailableReason(provider: Provider): string | undefined {
  if (provider === 'cpu') return undefined
  const backend = ort.listSupportedBackends().find((b) => b.name === provider)
  if (!backend) return `onnxruntime-node has no '${provider}' provider on ${process.platform}-${process.arch}: ${INSTALL_HINTS[provider]}`
  if (!backend.bundled && provider === 'cuda') return `the CUDA provider libraries are not installed: ${INSTALL_HINTS.cuda}`
  return undefined
}

/** One line for the user when a requested provider could not be used. */
export function fallbackWarning(provider: Provider, reason: string): string {
  return `warning: provider '${provider}' is unavailable, using 'cpu' instead (${reason})`
}

/** What this machine's onnxruntime can run on: each provider with why it cannot, when it cannot. */
export interface RuntimeReport {
  onnxruntimeVersion: string
  providers: { provider: Provider; available: boolean; reason?: string }[]
}

export function runtimeReport(): RuntimeReport {
  let version = 'unknown'
  try {
    version = (createRequire(__filename)('onnxruntime-node/package.json') as { version: string }).version
  } catch {
    // an unusual install layout: the version is only for display
  }
  return {
    onnxruntimeVersion: version,
    providers: PROVIDERS.map((provider) => {
      const reason = providerUnavailableReason(provider)
      return reason ? { provider, available: false, reason } : { provider, available: true }
    }),
  }
}
