module.exports = { ...require('../jest.preset.cjs'), moduleNameMapper: { '^@anime-upscaler/([a-z-]+)$': '<rootDir>/../packages/$1/src/index.ts' } }
