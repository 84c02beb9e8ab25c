import { InvalidArgumentError } from 'commander'

/** Commander parsers that name the option and the bad value, as sharp does. */
export function positiveInteger(name: string) {
  return (value: string): number => {
    const parsed = Number(value)
    if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(parsed) || parsed <= 0) {
      throw new InvalidArgumentError(`Expected positive integer for ${name} but received '${value}'`)
    }
    return parsed
  }
}

export function nonNegativeInteger(name: string) {
  return (value: string): number => {
    const parsed = Number(value)
    if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(parsed)) {
      throw new InvalidArgumentError(`Expected non-negative integer for ${name} but received '${value}'`)
    }
    return parsed
  }
}

export function positiveNumber(name: string) {
  return (value: string): number => {
    const parsed = Number(value)
    if (value.trim() === '' || !Number.isFinite(parsed) || parsed <= 0) {
      throw new InvalidArgumentError(`Expected positive number for ${name} but received '${value}'`)
    }
    return parsed
  }
}

export function oneOf<T extends string>(name: string, allowed: readonly T[]) {
  return (value: string): T => {
    if (!allowed.includes(value as T)) {
      throw new InvalidArgumentError(`Expected ${name} ${allowed.map((a) => `'${a}'`).join(', ')} but received '${value}'`)
    }
    return value as T
  }
}

export function nonNegativeNumber(name: string) {
  return (value: string): number => {
    const parsed = Number(value)
    if (value.trim() === '' || !Number.isFinite(parsed) || parsed < 0) {
      throw new InvalidArgumentError(`Expected non-negative number for ${name} but received '${value}'`)
    }
    return parsed
  }
}

export function fraction(name: string) {
  return (value: string): number => {
    const parsed = Number(value)
    if (value.trim() === '' || !Number.isFinite(parsed) || parsed < 0 || parsed > 1) {
      throw new InvalidArgumentError(`Expected number from 0 to 1 for ${name} but received '${value}'`)
    }
    return parsed
  }
}

export function portNumber(name: string) {
  return (value: string): number => {
    const parsed = Number(value)
    if (!/^\s*\d+\s*$/.test(value) || parsed > 65535) {
      throw new InvalidArgumentError(`Expected port number from 0 to 65535 for ${name} but received '${value}'`)
    }
    return parsed
  }
}
