/**
 * What simple-peer 9.11 calls of Node's `buffer`, of `randombytes` and of `debug`, for its
 * browser build (`./build.mjs`); the stream it extends is `./duplex.ts`. Each stands
 * in for a whole package (and the Node shims those need) with the one call simple-peer
 * makes.
 */

/** `Buffer.from(arrayBuffer)`: simple-peer turns each binary data-channel message into bytes. */
export const Buffer = {
  from(data: ArrayBuffer): Uint8Array {
    return new Uint8Array(data)
  },
}

/**
 * `randombytes(n).toString('hex')`: simple-peer names each peer (`_id`) and the data channel
 * it opens with random hex.
 */
export function randomBytes(size: number): { toString(encoding?: 'hex'): string } {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(size))
  return { toString: () => Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('') }
}

/**
 * `require('debug')('simple-peer')`: a logger that logs nothing. simple-peer's own trace
 * (`localStorage.debug = 'simple-peer'` with its prebundled file) is left out of the
 * browser build; the library reports what matters through its 'error' events.
 */
export function createDebug(_namespace: string): (...args: unknown[]) => void {
  return () => {}
}
