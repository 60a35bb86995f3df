/** Errors crossing the wire: what a node sends for a failure, and what the caller rebuilds. */
import { BadArgError, BadRpcError, type DistributedError, NoProcError, OverloadedError, RemoteError, TimeoutError, TooLargeError } from '../api/errors.js'
import type { WireError } from './protocol.js'
import { MAX_TEXT_LENGTH } from './protocol.js'

const clip = (text: string): string => (text.length > MAX_TEXT_LENGTH ? text.slice(0, MAX_TEXT_LENGTH) : text)

/** The name and message of anything thrown. */
export function describeThrown(error: unknown): { name: string; message: string } {
  if (error instanceof Error) return { name: error.name || 'Error', message: clip(String(error.message)) }
  return { name: 'Error', message: clip(typeof error === 'string' ? error : String(error)) }
}

/** An error thrown by user code (a handler or rpc function) as sent back to the caller. */
export function thrownToWire(error: unknown): WireError {
  return { code: 'remote', ...describeThrown(error) }
}

/** One of the library's own errors as sent back to the caller. */
export function distributedToWire(error: DistributedError): WireError {
  const wire: WireError = { code: error.code, name: error.name, message: clip(error.message) }
  if (error instanceof BadRpcError) wire.reason = clip(error.reason)
  return wire
}

/** Rebuilds the error a caller rejects with from what a peer sent for a `call`. */
export function callErrorFromWire(wire: WireError, node: string): DistributedError {
  switch (wire.code) {
    case 'overloaded':
      return new OverloadedError(node, wire.message)
    case 'noproc':
      return new NoProcError(wire.message)
    case 'badarg':
      return new BadArgError(wire.message)
    case 'timeout':
      return new TimeoutError(wire.message)
    case 'too_large':
      return new TooLargeError(wire.message)
    default:
      return new RemoteError(wire.name, wire.message)
  }
}

/** Rebuilds the error an rpc caller rejects with. */
export function rpcErrorFromWire(wire: WireError): BadRpcError {
  if (wire.code === 'badrpc') return new BadRpcError(wire.reason ?? wire.message, wire.message)
  return new BadRpcError(wire.message, `badrpc: ${wire.name}: ${wire.message}`, { cause: new RemoteError(wire.name, wire.message) })
}

/** A handler's failure as a local caller sees it: the same `RemoteError` a remote caller gets. */
export function thrownToCallError(error: unknown): DistributedError {
  if (error instanceof NoProcError || error instanceof OverloadedError) return error
  const { name, message } = describeThrown(error)
  const remote = new RemoteError(name, message)
  ;(remote as { cause?: unknown }).cause = error
  return remote
}
