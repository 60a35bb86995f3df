/**
 * End-to-end protection with a cluster password (`connect({ password })`), as trystero's
 * and y-webrtc's `password`: relay payloads and WebRTC signals are sealed with AES-GCM
 * under a key derived from the password (PBKDF2, SHA-256, the cluster name in the salt),
 * by WebCrypto. The hub and the Redis link between hubs see only ciphertext; neither can
 * read, forge or alter a relayed chunk or a signal: a signal carries the DTLS fingerprint
 * of the direct link, so a hub that cannot rewrite signals cannot sit in its middle.
 *
 * Each sealed item is bound (AES-GCM's additional data) to what the hub stamps and what
 * it must not change: for a relay chunk, sender and receiver (ids and incarnations), epoch
 * and sequence number; for a signal, sender and receiver. A member with another password
 * opens nothing: it never links to the others, and they report it (an `error` event
 * naming it). Items keep their order both ways, whether the sealer works at once (Node's
 * `node:crypto`, handed in by `distribunator/server`) or through promises (WebCrypto).
 */
import { BadArgError, errorMessage } from '../api/errors.js'
import { HubLimits, isJson } from './hub-protocol.js'
import type { RelayNotice, RelayTarget } from './relay-protocol.js'
import type { RelayTransport, Signaling } from './signaling.js'

/** The key derivation and sealing format every sealer shares, so that members of any platform read each other. */
export const PASSWORD_KDF = {
  /** PBKDF2-SHA-256 rounds: a password guessed offline costs this many a guess. */
  rounds: 210_000,
  /** The salt: the cluster name, so one password gives each cluster its own key. */
  salt: (cluster: string): Uint8Array => new TextEncoder().encode(`distribunator cluster ${cluster}`),
  /** A sealed item is a random IV of this many bytes, then AES-256-GCM's ciphertext and 16-byte tag. */
  ivBytes: 12,
} as const
const IV_BYTES = PASSWORD_KDF.ivBytes

/** The part of WebCrypto's `SubtleCrypto` used here (declared so that the core needs no DOM types). */
interface Subtle {
  importKey(format: 'raw', key: Uint8Array, algorithm: 'PBKDF2', extractable: false, usages: ['deriveKey']): Promise<unknown>
  deriveKey(algorithm: object, base: unknown, derived: object, extractable: false, usages: ['encrypt', 'decrypt']): Promise<unknown>
  encrypt(algorithm: object, key: unknown, data: Uint8Array): Promise<ArrayBuffer>
  decrypt(algorithm: object, key: unknown, data: Uint8Array): Promise<ArrayBuffer>
}

/** Seals and opens items under the cluster key, at once or through a promise. */
export interface Sealer {
  seal(plain: Uint8Array, bound: string): Uint8Array | Promise<Uint8Array>
  /** Throws (or rejects) when the key differs or the item or what it is bound to was altered. */
  open(sealed: Uint8Array, bound: string): Uint8Array | Promise<Uint8Array>
  /** Base64 of a sealed item, where the platform has a faster one than this module's. */
  toBase64?(sealed: Uint8Array): string
  fromBase64?(text: string): Uint8Array
  /**
   * Fresh bytes to write into (contents unspecified), where the platform has a cheaper
   * allocation than `new Uint8Array`: Node's pooled `Buffer.allocUnsafe` takes a tenth of
   * a microsecond where a typed array of over 64 bytes takes a few.
   */
  bytes?(length: number): Uint8Array
}

const utf8 = new TextEncoder()
const fromUtf8 = new TextDecoder()

/**
 * Derives the cluster key from `password`. Rejects with `BadArgError` where WebCrypto is
 * missing (a browser gives it only to secure pages: https://, or http://localhost).
 *
 * @example
 * const sealer = await passwordSealer('correct horse', 'game-42')
 */
export async function passwordSealer(password: string, cluster: string, webCrypto: { readonly subtle?: unknown } | undefined = globalThis.crypto): Promise<Sealer> {
  if (typeof password !== 'string' || password.length === 0) throw new BadArgError('password must be a non-empty string')
  const subtle = webCrypto?.subtle as Subtle | undefined
  if (subtle === undefined) {
    throw new BadArgError('password needs WebCrypto (crypto.subtle), which a browser gives only to a secure page: serve it over https://, or open it as http://localhost')
  }
  const material = await subtle.importKey('raw', utf8.encode(password), 'PBKDF2', false, ['deriveKey'])
  const key = await subtle.deriveKey(
    { name: 'PBKDF2', salt: PASSWORD_KDF.salt(cluster), iterations: PASSWORD_KDF.rounds, hash: 'SHA-256' },
    material,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt'],
  )
  return {
    async seal(plain, bound) {
      const iv = globalThis.crypto.getRandomValues(new Uint8Array(IV_BYTES))
      const sealed = new Uint8Array(await subtle.encrypt({ name: 'AES-GCM', iv, additionalData: utf8.encode(bound) }, key, plain))
      const out = new Uint8Array(IV_BYTES + sealed.byteLength)
      out.set(iv)
      out.set(sealed, IV_BYTES)
      return out
    },
    async open(sealed, bound) {
      if (sealed.byteLength <= IV_BYTES) throw new Error('too short to be sealed')
      const plain = await subtle.decrypt({ name: 'AES-GCM', iv: sealed.subarray(0, IV_BYTES), additionalData: utf8.encode(bound) }, key, sealed.subarray(IV_BYTES))
      return new Uint8Array(plain)
    },
  }
}

const newBytes = (length: number): Uint8Array => new Uint8Array(length)

/** A relay chunk as bytes: a tag (0 text, 1 bytes), then the chunk, written into one allocation. */
function chunkBytes(data: string | Uint8Array, bytes: (length: number) => Uint8Array): Uint8Array {
  if (typeof data === 'string') {
    const out = bytes(data.length * 3 + 1) // UTF-8 takes at most 3 bytes per UTF-16 unit
    out[0] = 0
    return out.subarray(0, utf8.encodeInto(data, out.subarray(1)).written + 1)
  }
  const out = bytes(data.byteLength + 1)
  out[0] = 1
  out.set(data, 1)
  return out
}

function chunkOf(bytes: Uint8Array): string | Uint8Array {
  if (bytes[0] === 0) return fromUtf8.decode(bytes.subarray(1))
  if (bytes[0] === 1) return bytes.slice(1)
  throw new Error('not a chunk')
}

// plain loops: a third of the time of spreading into fromCharCode, a fifth of Uint8Array.from's mapper
const toBase64 = (bytes: Uint8Array): string => {
  let text = ''
  for (let i = 0; i < bytes.length; i++) text += String.fromCharCode(bytes[i] ?? 0)
  return btoa(text)
}

const fromBase64 = (base64: string): Uint8Array => {
  const text = atob(base64)
  const bytes = new Uint8Array(text.length)
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i)
  return bytes
}

/**
 * A sealed relay chunk as it goes to the hub: a small one as base64 text (it rides inside
 * the Socket.IO packet: one WebSocket message instead of two), a larger one as bytes.
 */
const wire = (sealed: Uint8Array, base64: (bytes: Uint8Array) => string): string | Uint8Array => (sealed.byteLength <= 8 * 1024 ? base64(sealed) : sealed)

/**
 * Runs steps one after the other, in the order they were queued: at once while none waits
 * on a promise. A step takes its inputs as arguments, so that the path where everything
 * works at once (Node's sealer) creates no closure per item.
 */
class InOrder {
  #tail: Promise<void> | undefined

  run<A, B>(step: (a: A, b: B) => void | Promise<void>, a: A, b: B): void {
    if (this.#tail !== undefined) return this.#track(this.#tail.then(() => step(a, b)))
    const result = step(a, b)
    if (result instanceof Promise) this.#track(result)
  }

  #track(pending: Promise<void>): void {
    const settled: Promise<void> = pending.then(
      () => void (this.#tail === settled && (this.#tail = undefined)),
      () => void (this.#tail === settled && (this.#tail = undefined)),
    )
    this.#tail = settled
  }
}

/** `f(value)` at once for a value, after it for a promise. */
function then<T>(value: T | Promise<T>, [f, fail]: readonly [f: (value: T) => void, fail: (error: unknown) => void]): void | Promise<void> {
  if (value instanceof Promise) return value.then(f, fail)
  f(value)
}

/**
 * Wraps `signaling` so that its relay chunks and signals are sealed under `sealer`'s key.
 * `self` is this node's id; `report` tells of an item that would not open (once per member).
 *
 * @example
 * const sealed = sealSignaling(signaling, 'tab-1', await passwordSealer(password, cluster), (m) => console.warn(m))
 */
export function sealSignaling(signaling: Signaling, self: string, sealer: Sealer, report: (message: string) => void): Signaling {
  const inc = signaling.incarnation
  const encode = sealer.toBase64 ?? toBase64
  const decode = sealer.fromBase64 ?? fromBase64
  const bytes = sealer.bytes ?? newBytes
  const reported = new Set<string>()
  const unreadable = (from: string, what: string, error: unknown): void => {
    if (reported.has(from) || reported.size >= 1024) return
    reported.add(from)
    report(`a sealed ${what} from ${from} does not open (another password, or altered on the way: ${errorMessage(error)}); ${from} stays unlinked`)
  }
  const relay = signaling.relay
  let sealedRelay: RelayTransport | undefined
  if (relay !== undefined) {
    const sending = new InOrder()
    const receiving = new InOrder()
    const bareAcks = (targets: readonly RelayTarget[]): void => void relay.send(targets, undefined)
    const sendSealed = (target: RelayTarget, sealed: Uint8Array | Promise<Uint8Array>): void | Promise<void> => {
      if (!(sealed instanceof Promise)) return void relay.send([target], wire(sealed, encode))
      return sealed.then(
        (chunk) => void relay.send([target], wire(chunk, encode)),
        (error: unknown) => report(`a relay packet could not be sealed: ${errorMessage(error)}`),
      )
    }
    let handler: ((notice: RelayNotice) => void) | undefined
    const receive = (notice: RelayNotice, _: undefined): void | Promise<void> => {
      const sealed = notice.data
      if (sealed === undefined) return handler?.(notice)
      try {
        const opened = sealer.open(typeof sealed === 'string' ? decode(sealed) : sealed, `r ${notice.from} ${notice.fromInc} ${self} ${notice.toInc} ${notice.epoch} ${notice.seq}`)
        if (!(opened instanceof Promise)) return handler?.({ ...notice, data: chunkOf(opened) })
        return opened.then(
          (plain) => handler?.({ ...notice, data: chunkOf(plain) }),
          (error: unknown) => unreadable(notice.from, 'relay packet', error),
        )
      } catch (error) {
        return unreadable(notice.from, 'relay packet', error)
      }
    }
    sealedRelay = {
      send(targets, data) {
        if (data === undefined) {
          sending.run(bareAcks, targets, undefined) // bare acks: numbers, in order with the rest
          return true
        }
        const plain = chunkBytes(data, bytes)
        for (const target of targets) sending.run(sendSealed, target, sealer.seal(plain, `r ${self} ${inc} ${target[0]} ${target[1]} ${target[2]} ${target[3]}`))
        return true // a packet the hub drops is sent again by its channel's retransmission
      },
      onPacket(onPacket) {
        handler = onPacket
        relay.onPacket((notice) => receiving.run(receive, notice, undefined))
      },
      onRefused: (handler) => relay.onRefused(handler),
    }
  }
  const signals = new InOrder()
  const incoming = new InOrder()
  return {
    incarnation: inc,
    join: () => signaling.join(),
    onMemberJoin: (handler) => signaling.onMemberJoin(handler),
    onMemberLeave: (handler) => signaling.onMemberLeave(handler),
    onJoined: (handler) => signaling.onJoined(handler),
    ...(signaling.onStatus === undefined ? {} : { onStatus: (handler: Parameters<NonNullable<Signaling['onStatus']>>[0]) => signaling.onStatus?.(handler) }),
    ...(signaling.onEnded === undefined ? {} : { onEnded: (handler: Parameters<NonNullable<Signaling['onEnded']>>[0]) => signaling.onEnded?.(handler) }),
    close: () => signaling.close(),
    ...(sealedRelay === undefined ? {} : { relay: sealedRelay }),
    sendSignal(to, toInc, data) {
      const sealed = sealer.seal(utf8.encode(JSON.stringify(data)), `s ${self} ${inc} ${to} ${toInc}`)
      signals.run(then<Uint8Array>, sealed, [(bytes) => signaling.sendSignal(to, toInc, { sealed: encode(bytes) }), (error) => report(`a signal could not be sealed: ${errorMessage(error)}`)])
    },
    onSignal(handler) {
      signaling.onSignal((from, fromInc, data) => {
        incoming.run(() => {
          const fail = (error: unknown): void => unreadable(from, 'signal', error)
          const deliver = (plain: Uint8Array): void => {
            let opened: unknown
            try {
              opened = JSON.parse(fromUtf8.decode(plain))
              if (!isJson(opened, HubLimits.signalMaxBytes)) throw new Error('not a signal')
            } catch (error) {
              return fail(error)
            }
            handler(from, fromInc, opened)
          }
          try {
            const text = typeof data === 'object' && data !== null ? Reflect.get(data, 'sealed') : undefined
            if (typeof text !== 'string') throw new Error('not sealed')
            return then(sealer.open(decode(text), `s ${from} ${fromInc} ${self} ${inc}`), [deliver, fail])
          } catch (error) {
            return fail(error)
          }
        }, undefined, undefined)
      })
    },
  }
}
