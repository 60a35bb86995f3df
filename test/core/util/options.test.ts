/** The shared checks of options (src/core/util/options.ts): what each takes, and its exact message for what it refuses. */
import { describe, expect, it } from 'vitest'
import { BadArgError } from '../../../src/core/api/errors.js'
import { budget, directTimeout, pendingLinks, transportPolicy } from '../../../src/core/mesh/mesh-options.js'
import { resolveMeshSettings } from '../../../src/core/mesh/mesh-settings.js'
import { resolveNodeOptions } from '../../../src/core/node/node-options.js'
import { assertTimeout, describe as describeValue } from '../../../src/core/node/validate.js'
import { resolveSignalingOptions, SIGNALING_DEFAULTS, signalingTimings } from '../../../src/core/hub/signaling-options.js'
import { optionChecks, showJson } from '../../../src/core/util/options.js'
import { HUB_DEFAULTS, resolveHubOptions } from '../../../src/server/hub/options.js'

const check = optionChecks(BadArgError)

/** The message `run` throws (a `BadArgError`), or fails the test. */
function refusal(run: () => unknown): string {
  try {
    run()
  } catch (error) {
    expect(error).toBeInstanceOf(BadArgError)
    return (error as Error).message
  }
  throw new Error('expected a BadArgError, nothing was thrown')
}

describe('optionChecks', () => {
  it('positive: a number above 0, Infinity too; the default when not given', () => {
    for (const value of [1, 0.001, 1.5, 30_000, Infinity]) expect(check.positive('t', value, 5)).toBe(value)
    expect(check.positive('t', undefined, 5)).toBe(5)
    expect(refusal(() => check.positive('t', 0, 5))).toBe('t must be a positive number, got 0')
    expect(refusal(() => check.positive('t', -1, 5))).toBe('t must be a positive number, got -1')
    expect(refusal(() => check.positive('t', -Infinity, 5))).toBe('t must be a positive number, got -Infinity')
    expect(refusal(() => check.positive('t', NaN, 5))).toBe('t must be a positive number, got NaN')
    expect(refusal(() => check.positive('t', null, 5))).toBe('t must be a positive number, got null')
    expect(refusal(() => check.positive('t', '5', 5))).toBe('t must be a positive number, got 5')
    expect(refusal(() => check.positive('t', -1, 5, 'a positive number of milliseconds (or Infinity)'))).toBe('t must be a positive number of milliseconds (or Infinity), got -1')
  })

  it('fromZero: a finite number, 0 or more', () => {
    for (const value of [0, 1, 1.5, 1e12]) expect(check.fromZero('z', value, 7)).toBe(value)
    expect(check.fromZero('z', undefined, 7)).toBe(7)
    expect(refusal(() => check.fromZero('z', -1, 7))).toBe('z must be a number from 0 up, got -1')
    expect(refusal(() => check.fromZero('z', Infinity, 7))).toBe('z must be a number from 0 up, got Infinity')
    expect(refusal(() => check.fromZero('z', NaN, 7))).toBe('z must be a number from 0 up, got NaN')
    expect(refusal(() => check.fromZero('z', null, 7))).toBe('z must be a number from 0 up, got null')
    expect(refusal(() => check.fromZero('z', '1', 7))).toBe('z must be a number from 0 up, got 1')
  })

  it('integer: a whole number from min to max', () => {
    for (const value of [1, 2, 10]) expect(check.integer('n', value, 3, 1, 10)).toBe(value)
    expect(check.integer('n', undefined, 3, 1, 10)).toBe(3)
    expect(check.integer('n', 2 ** 40, 3, 1, Infinity)).toBe(2 ** 40)
    expect(refusal(() => check.integer('n', 1.5, 3, 1, 10))).toBe('n must be an integer from 1 to 10, got 1.5')
    expect(refusal(() => check.integer('n', 0, 3, 1, 10))).toBe('n must be an integer from 1 to 10, got 0')
    expect(refusal(() => check.integer('n', 11, 3, 1, 10))).toBe('n must be an integer from 1 to 10, got 11')
    expect(refusal(() => check.integer('n', -1, 3, 1, 10))).toBe('n must be an integer from 1 to 10, got -1')
    expect(refusal(() => check.integer('n', NaN, 3, 1, 10))).toBe('n must be an integer from 1 to 10, got NaN')
    expect(refusal(() => check.integer('n', null, 3, 1, 10))).toBe('n must be an integer from 1 to 10, got null')
    expect(refusal(() => check.integer('n', '3', 3, 1, 10))).toBe('n must be an integer from 1 to 10, got 3')
    // Infinity is no integer, even with no upper bound
    expect(refusal(() => check.integer('n', Infinity, 3, 1, Infinity))).toBe('n must be an integer from 1 to Infinity, got Infinity')
    expect(refusal(() => check.integer('n', 0, 3, 1, Infinity, 'a positive integer'))).toBe('n must be a positive integer, got 0')
  })

  it('oneOf: one of the choices or not given; the value shown as JSON', () => {
    expect(check.oneOf('p', 'all', ['all', 'relay'])).toBe('all')
    expect(check.oneOf('p', 'relay', ['all', 'relay'])).toBe('relay')
    expect(check.oneOf('p', undefined, ['all', 'relay'])).toBeUndefined()
    expect(refusal(() => check.oneOf('p', 'none', ['all', 'relay']))).toBe(`p must be 'all' or 'relay', got "none"`)
    expect(refusal(() => check.oneOf('p', 'ALL', ['all', 'relay']))).toBe(`p must be 'all' or 'relay', got "ALL"`)
    expect(refusal(() => check.oneOf('p', null, ['all', 'relay']))).toBe(`p must be 'all' or 'relay', got null`)
    expect(refusal(() => check.oneOf('p', NaN, ['all', 'relay']))).toBe(`p must be 'all' or 'relay', got null`) // JSON writes NaN as null
    expect(refusal(() => check.oneOf('p', 5, ['all']))).toBe(`p must be 'all', got 5`)
    expect(refusal(() => check.oneOf('p', 'x'.repeat(100), ['all']))).toBe(`p must be 'all', got "${'x'.repeat(39)}`)
  })

  it('valid and required: any test, with its own words; required tests undefined too', () => {
    const even = (v: unknown): boolean => typeof v === 'number' && v % 2 === 0
    expect(check.valid('e', 4, 2, even, 'an even number')).toBe(4)
    expect(check.valid('e', undefined, 2, even, 'an even number')).toBe(2)
    expect(refusal(() => check.valid('e', 3, 2, even, 'an even number'))).toBe('e must be an even number, got 3')
    expect(refusal(() => check.valid('e', 1.5, 2, even, 'an even number', () => 'one and a half'))).toBe('e must be an even number, got one and a half')
    expect(check.required('e', 4, even, 'an even number')).toBe(4)
    expect(refusal(() => check.required('e', undefined, even, 'an even number'))).toBe('e must be an even number, got undefined')
    expect(refusal(() => check.required('e', null, even, 'an even number'))).toBe('e must be an even number, got null')
  })

  it('shows values as the `show` handed in (the node: `describe`), and throws the error class handed in', () => {
    const described = optionChecks(BadArgError, describeValue)
    expect(refusal(() => described.positive('t', -1, 5))).toBe('t must be a positive number, got number -1')
    expect(refusal(() => described.positive('t', '5', 5))).toBe('t must be a positive number, got string "5"')
    expect(refusal(() => described.positive('t', null, 5))).toBe('t must be a positive number, got null')
    expect(refusal(() => described.positive('t', {}, 5))).toBe('t must be a positive number, got an object')
    expect(() => optionChecks(RangeError).positive('t', 0, 5)).toThrow(new RangeError('t must be a positive number, got 0'))
  })

  it('showJson: JSON cut to its length, or String where JSON has no text', () => {
    expect(showJson({ a: 1 })).toBe('{"a":1}')
    expect(showJson('x'.repeat(100), 10)).toBe(`"${'x'.repeat(9)}`)
    expect(showJson(undefined)).toBe('undefined')
    expect(showJson(() => 1)).toMatch(/^\(\) => 1$/)
  })
})

describe('the checks built on them keep their messages', () => {
  it('a node: timeouts and bounds are positive numbers of milliseconds, Infinity for none', () => {
    for (const value of [1, 0.5, Infinity]) expect(() => assertTimeout(value)).not.toThrow()
    expect(refusal(() => assertTimeout(0))).toBe('timeoutMs must be a positive number of milliseconds (or Infinity), got number 0')
    expect(refusal(() => assertTimeout(NaN))).toBe('timeoutMs must be a positive number of milliseconds (or Infinity), got number NaN')
    expect(refusal(() => assertTimeout(undefined))).toBe('timeoutMs must be a positive number of milliseconds (or Infinity), got undefined')
    expect(refusal(() => assertTimeout(null, 'maxMailbox'))).toBe('maxMailbox must be a positive number (or Infinity), got null')
    expect(refusal(() => assertTimeout('5', 'maxMailbox'))).toBe('maxMailbox must be a positive number (or Infinity), got string "5"')
    expect(resolveNodeOptions({ maxMailbox: Infinity }).maxMailbox).toBe(Infinity)
    expect(refusal(() => resolveNodeOptions({ maxBigIntDigits: -1 }))).toBe('maxBigIntDigits must be a positive number (or Infinity), got number -1')
    expect(refusal(() => resolveNodeOptions({ rpcDoneTimeoutMs: 0 }))).toBe('rpcDoneTimeoutMs must be a positive number of milliseconds (or Infinity), got number 0')
    expect(refusal(() => resolveNodeOptions({ heartbeatIntervalMs: 3000 }))).toBe('heartbeatTimeoutMs must be larger than heartbeatIntervalMs')
  })

  it('the mesh', () => {
    expect(pendingLinks(undefined)).toBe(16)
    expect(pendingLinks(null as never)).toBe(16)
    expect(refusal(() => pendingLinks(1.5))).toBe('maxPendingLinks must be a positive integer, got 1.5')
    expect(refusal(() => pendingLinks(0))).toBe('maxPendingLinks must be a positive integer, got 0')
    expect(budget(0)).toBe(0)
    expect(budget(Infinity)).toBe(Infinity)
    expect(refusal(() => budget(-1))).toBe('maxDirectLinks must be a whole number (0 for relay only) or Infinity, got -1')
    expect(refusal(() => budget(1.5))).toBe('maxDirectLinks must be a whole number (0 for relay only) or Infinity, got 1.5')
    expect(refusal(() => transportPolicy('none'))).toBe(`iceTransportPolicy must be 'all' or 'relay', got "none"`)
    // directTimeoutMs, and linkTimeoutMs, its old name, read when the new one is not given
    expect(directTimeout({})).toBe(15_000)
    expect(directTimeout({ linkTimeoutMs: 2000 })).toBe(2000)
    expect(directTimeout({ directTimeoutMs: 3000, linkTimeoutMs: 2000 })).toBe(3000)
    expect(refusal(() => directTimeout({ linkTimeoutMs: -1 }))).toBe('linkTimeoutMs must be a positive number, got -1')
    expect(refusal(() => directTimeout({ directTimeoutMs: 0 }))).toBe('directTimeoutMs must be a positive number, got 0')
    // every mesh option resolved at once: the defaults, the relay's part only where a relay may be used
    const settings = resolveMeshSettings({}, true, 1024)
    expect([settings.meshTimeoutMs, settings.answerTimeoutMs, settings.direct.maxDirectLinks, settings.relay?.maxMessageBytes]).toEqual([10_000, 1000, 32, 1024])
    expect(resolveMeshSettings({ relay: false }, true, 1024)).toMatchObject({ relay: undefined, direct: { maxDirectLinks: Infinity } })
    expect(resolveMeshSettings({}, false, 1024).relay).toBeUndefined()
    expect(refusal(() => resolveMeshSettings({ meshTimeoutMs: 0 }, true, 1024))).toBe('meshTimeoutMs must be a positive number, got 0')
    expect(refusal(() => resolveMeshSettings({ directDelayMs: -1 }, true, 1024))).toContain('directDelayMs must be')
  })

  it('the signaling: timings are positive, finite numbers of milliseconds; undefined or null is the default', () => {
    const options = { hub: 'http://h:1', cluster: 'c' }
    expect(signalingTimings(options)).toEqual(SIGNALING_DEFAULTS)
    expect(signalingTimings({ ...options, joinTimeoutMs: null as never, ackTimeoutMs: 1.5, retryDelayMs: 1, maxRetryDelayMs: 60_000 }))
      .toEqual({ joinTimeoutMs: 10_000, ackTimeoutMs: 1.5, retryDelayMs: 1, maxRetryDelayMs: 60_000 })
    expect(refusal(() => signalingTimings({ ...options, joinTimeoutMs: 0 }))).toBe('joinTimeoutMs must be a positive number of milliseconds, got 0')
    expect(refusal(() => signalingTimings({ ...options, ackTimeoutMs: -1 }))).toBe('ackTimeoutMs must be a positive number of milliseconds, got -1')
    expect(refusal(() => signalingTimings({ ...options, retryDelayMs: NaN }))).toBe('retryDelayMs must be a positive number of milliseconds, got NaN')
    expect(refusal(() => signalingTimings({ ...options, maxRetryDelayMs: Infinity }))).toBe('maxRetryDelayMs must be a positive number of milliseconds, got Infinity')
    expect(refusal(() => signalingTimings({ ...options, joinTimeoutMs: '5000' as never }))).toBe('joinTimeoutMs must be a positive number of milliseconds, got 5000')
    // what join() rejects with: the hub first, then the timings, then the names
    expect(resolveSignalingOptions({ ...options, joinTimeoutMs: -1 }, 'a', 1).problem).toBe('joinTimeoutMs must be a positive number of milliseconds, got -1')
    expect(resolveSignalingOptions({ ...options, hub: 'ftp://h', joinTimeoutMs: -1 }, 'a', 1).problem).toMatch(/^hub must be an http\(s\):\/\/ or ws\(s\):\/\/ URL/)
    expect(resolveSignalingOptions({ ...options, cluster: '' }, 'a', 1).problem).toBe('cluster must be 1..128 characters from A-Z a-z 0-9 _ - . : @')
    expect(resolveSignalingOptions(options, 'a', 1)).toEqual({ urls: ['http://h:1'], timings: SIGNALING_DEFAULTS, problem: undefined })
  })

  it('the hub: counts, rates and times are positive, finite numbers', () => {
    const settings = resolveHubOptions({ maxStrikes: 1.5, awayGraceMs: 1 })
    expect([settings.maxStrikes, settings.awayGraceMs, settings.pingIntervalMs]).toEqual([1.5, 1, HUB_DEFAULTS.pingIntervalMs])
    expect(refusal(() => resolveHubOptions({ maxStrikes: 0 }))).toBe('hub option maxStrikes must be a positive number, got 0')
    expect(refusal(() => resolveHubOptions({ maxConnections: -1 }))).toBe('hub option maxConnections must be a positive number, got -1')
    expect(refusal(() => resolveHubOptions({ pingTimeoutMs: Infinity }))).toBe('hub option pingTimeoutMs must be a positive number, got Infinity')
    expect(refusal(() => resolveHubOptions({ awayGraceMs: NaN }))).toBe('hub option awayGraceMs must be a positive number, got NaN')
    expect(refusal(() => resolveHubOptions({ maxBufferedBytes: null as never }))).toBe('hub option maxBufferedBytes must be a positive number, got null')
    expect(refusal(() => resolveHubOptions({ joinDeadlineMs: '5' as never }))).toBe('hub option joinDeadlineMs must be a positive number, got 5')
  })
})
