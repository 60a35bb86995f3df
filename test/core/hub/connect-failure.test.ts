// How a failed hub connection is put in words, from whatever socket.io-client hands over:
// errors built as it builds them (a namespace refusal carries the server's message, a
// browser's TransportError an event with nothing in it), and shapes no client would make.
import { describe, expect, it } from 'vitest'
import { explainConnectError } from '../../../src/core/hub/connect-failure.js'
import { logger, setLogger } from '../../../src/core/util/log.js'

/** An error shaped like engine.io-client's TransportError. */
function transportError(description: unknown): Error {
  return Object.assign(new Error('websocket error'), { type: 'TransportError', description, context: undefined })
}

describe('explainConnectError', () => {
  it('a namespace refusal: a URL with a path, or not a hub; the root URL to use', () => {
    const error = Object.assign(new Error('Invalid namespace'), { data: undefined })
    expect(explainConnectError(error, 'http://hub.example:8080/signal/x')).toEqual({
      reason: 'not a hub, or a URL with a path (a hub listens at the root: http://hub.example:8080)',
      cause: error,
      unexplained: false,
    })
    expect(explainConnectError(error, 'wss://hub.example').reason).toBe('not a hub, or a URL with a path (a hub listens at the root: wss://hub.example)')
  })

  it("socket.io-client's connect timeout", () => {
    expect(explainConnectError(new Error('timeout'), 'http://h:1').reason).toBe('no answer in time')
  })

  it("a browser's WebSocket error, which carries no reason: unexplained, for the platform's probe", () => {
    const error = transportError({ type: 'error', isTrusted: true })
    expect(explainConnectError(error, 'ws://h:1')).toEqual({ reason: "websocket error, no reason given (a browser's console has it)", cause: error, unexplained: true })
    expect(explainConnectError(new Error('timeout'), 'http://h:1').unexplained).toBe(false)
  })

  it("the platform's explainer is asked for the rest, not for what the core knows", () => {
    const asked: unknown[] = []
    const explain = (error: unknown): { reason: string; cause: unknown } | undefined => {
      asked.push(error)
      return { reason: 'from the platform', cause: 'inner' }
    }
    expect(explainConnectError(transportError({ message: 'x' }), 'http://h:1', explain)).toEqual({ reason: 'from the platform', cause: 'inner' })
    expect(explainConnectError(new Error('timeout'), 'http://h:1', explain).reason).toBe('no answer in time')
    expect(asked).toHaveLength(1)
    expect(explainConnectError(transportError({ message: 'socket hang up' }), 'http://h:1', () => undefined).reason).toBe('socket hang up')
  })

  it('what a server sends is cut to one line of 160 characters; anything else thrown is still explained', () => {
    const long = explainConnectError(transportError({ message: `evil\n\r\t${'x'.repeat(1_000_000)}` }), 'http://h:1')
    expect(long.reason).toBe(`evil ${'x'.repeat(155)}`)
    for (const odd of [undefined, null, 42, 'text', {}, [], { message: 7 }, { description: 'no' }, Object.create(null)]) {
      expect(typeof explainConnectError(odd, 'not a url').reason).toBe('string')
    }
  })
})

describe('logger', () => {
  it('is silent without a factory, follows setLogger, and asks `enabled` before formatting', () => {
    const log = logger('distribunator:test')
    const written: unknown[][] = []
    let enabled = false
    expect(log.enabled).toBe(false)
    log('nothing %s', 'here')
    setLogger((namespace) => Object.defineProperty((...args: unknown[]) => written.push([namespace, ...args]), 'enabled', { get: () => enabled }) as never)
    try {
      log('off %s', 1)
      enabled = true
      expect(log.enabled).toBe(true)
      log('on %s', 2)
      expect(written).toEqual([['distribunator:test', 'on %s', 2]])
      expect(() => setLogger('debug' as never)).toThrow(TypeError)
    } finally {
      setLogger(undefined)
    }
    log('after %s', 3)
    expect(written).toHaveLength(1)
  })
})
