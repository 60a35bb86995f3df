/**
 * The password sealer in Node (`connect({ password })`): the same AES-GCM with the same
 * PBKDF2 key as the WebCrypto one in the core (so a tab and a Node process seal alike),
 * done with `node:crypto` at once instead of through WebCrypto's promises: a sealed relay
 * round trip costs a few microseconds more, not a trip through the thread pool each way.
 */
import { createCipheriv, createDecipheriv, pbkdf2, randomBytes } from 'node:crypto'
import { BadArgError } from '../core/api/errors.js'
import { PASSWORD_KDF, type Sealer } from '../core/signaling/sealed.js'

const TAG_BYTES = 16

/**
 * Derives the cluster key from `password` and returns a sealer that works synchronously.
 *
 * @example
 * const sealer = await nodePasswordSealer('correct horse', 'game-42')
 */
export async function nodePasswordSealer(password: string, cluster: string): Promise<Sealer> {
  if (typeof password !== 'string' || password.length === 0) throw new BadArgError('password must be a non-empty string')
  const key = await new Promise<Buffer>((resolve, reject) =>
    pbkdf2(password, PASSWORD_KDF.salt(cluster), PASSWORD_KDF.rounds, 32, 'sha256', (error, derived) => (error ? reject(error) : resolve(derived))),
  )
  return {
    seal(plain, bound) {
      const iv = randomBytes(PASSWORD_KDF.ivBytes)
      const cipher = createCipheriv('aes-256-gcm', key, iv)
      cipher.setAAD(Buffer.from(bound))
      const body = Buffer.concat([cipher.update(plain), cipher.final(), cipher.getAuthTag()])
      const out = new Uint8Array(iv.length + body.length)
      out.set(iv)
      out.set(body, iv.length)
      return out
    },
    open(sealed, bound) {
      if (sealed.byteLength <= PASSWORD_KDF.ivBytes + TAG_BYTES) throw new Error('too short to be sealed')
      const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, PASSWORD_KDF.ivBytes))
      decipher.setAAD(Buffer.from(bound))
      decipher.setAuthTag(sealed.subarray(sealed.byteLength - TAG_BYTES))
      const plain = Buffer.concat([decipher.update(sealed.subarray(PASSWORD_KDF.ivBytes, sealed.byteLength - TAG_BYTES)), decipher.final()])
      return new Uint8Array(plain.buffer, plain.byteOffset, plain.byteLength)
    },
  }
}
