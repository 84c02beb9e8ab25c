export { UpscaleError, type UpscaleErrorCode } from './errors'
export type { PixelData, RawImage, SampleType } from './types'
export { resample, type ResampleKernel } from './resample'
export { DEFAULT_MODEL, listModels, type ModelDescriptor } from './models'
export { PROVIDERS, runtimeReport, type Provider, type RuntimeReport } from './providers'
export { ModelSession, type ModelInfo, type ModelPass, type RgbImage, type SessionOptions } from './session'
export { planOutput, type OutputPlan, type TargetSize } from './target'
export { planTiles, type Tile, type TileLayout, type WindowGeometry } from './tiling'
export { DEFAULT_CALL_BUDGET_MS } from './call-budget'
export { UpscaleEngine, type EngineImage, type EngineOptions, type UpscaleTiming, type UpscaledImage } from './engine'
export { YUV_MATRICES, type Yuv420Image, type YuvColor, type YuvMatrix, type YuvRange } from './yuv'
export { MAX_THREADS_PER_CORE, activeModelCalls, createUpscaler, defaultLayout, type Upscaler, type UpscalerOptions } from './upscaler'
export { upscale, type Frame, type UpscaleOperatorOptions } from './operator'
export { buildAnime4kOnnx, loadAnime4kWeights, type Anime4kFlavor, type Anime4kOnnxOptions, type Anime4kSamples, type Anime4kSize } from './anime4k'
export { convertNcnnModel, NCNN_LAYER_TYPES, type ConvertedModel, type NcnnConvertOptions } from './ncnn/convert'
export type { ImportedModelMetadata, PaddingMode, PoolMetadata } from './model-metadata'
export { importModel, type ImportModelOptions } from './import'
export {
  defaultModelName,
  defaultModelsDir,
  findImportedModel,
  listImportedModels,
  removeModel,
  resolveModel,
  speedClass,
  type ImportedModel,
  type ModelStoreOptions,
  type ResolvedModel,
  type SpeedClass,
} from './store'
export { TileReuser, passesHalo, tileReuseRefusal, type ReusedFrame, type TileReuseOptions, type TileUpscaler } from './reuse/reuser'
export { groupChangedTiles, mergeChangedTiles, planReuse, type ReuseCall, type ReusePlan, type TileChanges, type TileRect } from './reuse/tile-changes'
