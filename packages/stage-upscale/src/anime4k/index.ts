export {
  loadAnime4kWeights,
  anime4kCost,
  type Anime4kSize,
  type Anime4kFlavor,
  type Anime4kWeightsJson,
  type Anime4kLayerJson,
} from './weights'
export { buildAnime4kOnnx, ANIME4K_INPUT, ANIME4K_OUTPUT, type Anime4kOnnxOptions, type Anime4kSamples } from './graph'
