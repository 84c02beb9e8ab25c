import { float16ToFloat32, float32ToFloat16, fromFloat16Bits, toFloat16Bits } from '../src/float16'

describe('float16 conversion', () => {
  test('known bit patterns', () => {
    expect(toFloat16Bits(1)).toBe(0x3c00)
    expect(toFloat16Bits(-2)).toBe(0xc000)
    expect(toFloat16Bits(0.5)).toBe(0x3800)
    expect(toFloat16Bits(65504)).toBe(0x7bff)
    expect(toFloat16Bits(1e6)).toBe(0x7c00)
    expect(toFloat16Bits(2 ** -24)).toBe(0x0001)
    expect(fromFloat16Bits(0x3555)).toBeCloseTo(0.333251953125, 12)
  })

  test('every 8-bit sample value survives a round trip within float16 precision', () => {
    const values = Float32Array.from({ length: 256 }, (_, i) => i / 255)
    const back = float16ToFloat32(float32ToFloat16(values))
    for (let i = 0; i < 256; i++) {
      expect(Math.abs(back[i] - values[i])).toBeLessThan(2 ** -11)
      expect(Math.round(back[i] * 255)).toBe(i)
    }
  })
})
