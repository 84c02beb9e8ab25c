import { AnimeUpscalerError, createValidators, message, optionName, optionSetting, type OptionWording, type Validators } from '../src'

class TestError extends AnimeUpscalerError<'E_INVALID_ARGUMENT' | 'E_OTHER'> {
  override name = 'TestError'
}
const check: Validators = createValidators((parts, details) => new TestError('E_INVALID_ARGUMENT', parts, details))

const FLAGS: Record<string, string> = { 'encoder.crf': '--crf', overwrite: '--overwrite' }
const CLI: OptionWording = {
  name: (option) => FLAGS[option],
  setting: (option, value) => (FLAGS[option] === undefined ? undefined : value === true ? FLAGS[option] : `${FLAGS[option]} ${String(value)}`),
}

describe('errors worded in the caller\'s terms', () => {
  test('an invalid argument carries option, value and expected, and reads as the library names it', () => {
    let caught: unknown
    try {
      check.integerInRange('encoder.crf', 60, 0, 51)
    } catch (error) {
      caught = error
    }
    expect(caught).toBeInstanceOf(TestError)
    const error = caught as TestError
    expect(error).toMatchObject({ code: 'E_INVALID_ARGUMENT', option: 'encoder.crf', value: 60, expected: 'integer from 0 to 51', name: 'TestError' })
    expect(error.message).toBe('Expected integer from 0 to 51 for encoder.crf but received 60')
    expect(error.describe(CLI)).toBe('Expected integer from 0 to 51 for --crf but received 60')
  })

  test('hints name settings: library `overwrite: true`, CLI `--overwrite`', () => {
    const error = new TestError('E_OTHER', `Output 'a.mkv' already exists`, { option: 'overwrite', hint: message`use ${optionSetting('overwrite', true)} to replace it` })
    expect(error.message).toBe(`Output 'a.mkv' already exists: use overwrite: true to replace it`)
    expect(error.hint).toBe('use overwrite: true to replace it')
    expect(error.describe(CLI)).toBe(`Output 'a.mkv' already exists: use --overwrite to replace it`)
  })

  test('an option the caller has no word for falls back to the library name; user text is never read as a reference', () => {
    const error = new TestError('E_OTHER', message`File '{{crf}}' needs ${optionName('frameRate')}`)
    expect(error.describe(CLI)).toBe(`File '{{crf}}' needs frameRate`)
  })

  test('details() renames options for a wrapper whose options nest the stage\'s', () => {
    let caught: TestError | undefined
    try {
      check.positiveInteger('crf', -3)
    } catch (error) {
      caught = error as TestError
    }
    const details = caught!.details((option) => `encoder.${option}`)
    const wrapped = new TestError('E_INVALID_ARGUMENT', details.parts, details)
    expect(wrapped).toMatchObject({ option: 'encoder.crf', value: -3, expected: 'positive integer', cause: caught })
    expect(wrapped.describe(CLI)).toBe('Expected positive integer for --crf but received -3')
  })

  test.each([
    ['positiveInteger', 0],
    ['positiveInteger', 1.5],
    ['nonNegativeInteger', -1],
    ['positiveNumber', Number.NaN],
    ['nonNegativeNumber', -0.5],
    ['fraction', 1.2],
    ['boolean', 'yes'],
    ['nonEmptyString', ''],
    ['signal', {}],
  ] as const)('%s refuses %p', (name, value) => {
    expect(() => (check[name] as (option: string, value: unknown) => void)('x', value)).toThrow(/^Expected .* for x but received /)
  })

  test('oneOf lists the allowed values', () => {
    expect(() => check.oneOf('mode', 'fast', ['concurrent', 'sequential'])).toThrow("Expected one of 'concurrent', 'sequential' for mode but received 'fast'")
    expect(() => check.oneOf('mode', 'sequential', ['concurrent', 'sequential'])).not.toThrow()
  })
})
