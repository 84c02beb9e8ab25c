import { planOutput } from '../src/target'

describe('planOutput', () => {
  test('native scale by default: one pass', () => {
    expect(planOutput(640, 360, 2)).toEqual({ width: 1280, height: 720, passes: 1 })
  })

  test('4x with a 2x model is exactly two passes', () => {
    expect(planOutput(640, 360, 2, { scale: 4 })).toEqual({ width: 2560, height: 1440, passes: 2 })
  })

  test('1.5x takes one pass then a downscale; 3x takes two', () => {
    expect(planOutput(640, 360, 2, { scale: 1.5 })).toEqual({ width: 960, height: 540, passes: 1 })
    expect(planOutput(640, 360, 2, { scale: 3 })).toEqual({ width: 1920, height: 1080, passes: 2 })
  })

  test('width alone keeps the aspect ratio, and so does height alone', () => {
    expect(planOutput(640, 360, 2, { width: 1920 })).toEqual({ width: 1920, height: 1080, passes: 2 })
    expect(planOutput(640, 360, 2, { height: 2160 })).toEqual({ width: 3840, height: 2160, passes: 3 })
  })

  test('width and height together may change the aspect ratio; passes cover the larger factor', () => {
    expect(planOutput(100, 100, 2, { width: 150, height: 300 })).toEqual({ width: 150, height: 300, passes: 2 })
  })

  test('a target no larger than the input needs no pass', () => {
    expect(planOutput(640, 360, 2, { scale: 0.5 })).toEqual({ width: 320, height: 180, passes: 0 })
  })

  test('a 1x restoration model runs once', () => {
    expect(planOutput(64, 64, 1, { scale: 2 })).toEqual({ width: 128, height: 128, passes: 1 })
  })

  test('invalid targets name the parameter and the value', () => {
    expect(() => planOutput(10, 10, 2, { scale: -2 })).toThrow('Expected positive number for scale but received -2')
    expect(() => planOutput(10, 10, 2, { width: 1.5 })).toThrow('Expected positive integer for width but received 1.5')
    expect(() => planOutput(10, 10, 2, { height: Number.NaN })).toThrow('Expected positive integer for height but received NaN')
    expect(() => planOutput(10, 10, 2, { scale: 2, width: 20 })).toThrow('Give either scale or width/height, not both')
  })
})
