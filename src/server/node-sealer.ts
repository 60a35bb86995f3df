/**
 * The password sealer in Node (`connect({ password })`): the same AES-GCM with the same
 * PBKDF2 key as the WebCrypto one in the core (so a tab and a Node process seal alike),
 * done with `node:crypto` at once instead of through WebCrypto's promises: a sealed relay
 * round trip costs a few microseconds more, not a trip through the thread pool each way.
 */
import { createCipheriv, createDecipheriv, createSecretKey, pbkdf2, randomFillSync } from 'node:crypto'
import { BadArgError } from '../core/api/errors.js'
import { PASSWORD_KDF, type Sealer } from '../core/hub/sealed.js'

const TAG_BYTES = 16
/** IVs drawn at once, 12 bytes each: one call to the random source per 1024 items instead of one each. */
const IV_POOL = 1024

/**
 * Derives the cluster key from `password` and returns a sealer that works synchronously.
 *
 * @example
 * const sealer = await nodePasswordSealer('correct horse', 'game-42')
 */
export async function nodePasswordSealer(password: string, cluster: string): Promise<Sealer> {
  if (typeof password !== 'string' || password.length === 0) throw new BadArgError('password must be a non-empty string')
  const secret = await new Promise<Buffer>((resolve, reject) =>
    pbkdf2(password, PASSWORD_KDF.salt(cluster), PASSWORD_KDF.rounds, 32, 'sha256', (error, derived) => (error ? reject(error) : resolve(derived))),
  )
  const key = createSecretKey(secret)
  const ivBytes = PASSWORD_KDF.ivBytes
  const ivs = Buffer.alloc(ivBytes * IV_POOL)
  let next = ivs.length
  return {
    seal(plain, bound) {
      if (next === ivs.length) {
        randomFillSync(ivs)
        next = 0
      }
      const iv = ivs.subarray(next, next + ivBytes)
      next += ivBytes
      const cipher = createCipheriv('aes-256-gcm', key, iv)
      cipher.setAAD(Buffer.from(bound))
      const body = cipher.update(plain)
      const tail = cipher.final() // empty: GCM is a stream mode
      const out = Buffer.allocUnsafe(ivBytes + body.length + tail.length + TAG_BYTES)
      out.set(iv)
      out.set(body, ivBytes)
      out.set(tail, ivBytes + body.length)
      out.set(cipher.getAuthTag(), ivBytes + body.length + tail.length)
      return out
    },
    open(sealed, bound) {
      if (sealed.byteLength <= PASSWORD_KDF.ivBytes + TAG_BYTES) throw new Error('too short to be sealed')
      const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, PASSWORD_KDF.ivBytes))
      decipher.setAAD(Buffer.from(bound))
      decipher.setAuthTag(sealed.subarray(sealed.byteLength - TAG_BYTES))
      const body = decipher.update(sealed.subarray(PASSWORD_KDF.ivBytes, sealed.byteLength - TAG_BYTES))
      const tail = decipher.final() // checks the tag; empty otherwise
      const plain = tail.length === 0 ? body : Buffer.concat([body, tail])
      return new Uint8Array(plain.buffer, plain.byteOffset, plain.byteLength)
    },
    bytes: (length) => Buffer.allocUnsafe(length),
    toBase64: (sealed) => Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength).toString('base64'),
    fromBase64: (text) => {
      const bytes = Buffer.from(text, 'base64')
      return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    },
  }
}
