// Jest runs tests in a vm realm, but onnxruntime-node, sharp and worker_threads hand back typed arrays
// of Node's main realm, so `instanceof Float32Array` checks (ours, onnxruntime-common's, sharp's)
// would fail in tests only. Giving the sandbox the main realm's constructors makes both sides agree.
const { runInThisContext } = require('node:vm')

for (const name of ['Float32Array', 'Float64Array', 'Int8Array', 'Int16Array', 'Int32Array', 'Uint8Array', 'Uint8ClampedArray', 'Uint16Array', 'Uint32Array', 'BigInt64Array', 'BigUint64Array', 'ArrayBuffer']) {
  globalThis[name] = runInThisContext(name)
}
