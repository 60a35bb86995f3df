/**
 * Admission: who may join which cluster under which id, and the **claims** the hub stamps
 * on the member (a user id, a role: whatever the app's admission says), which every other
 * member learns with its join. Two ways in, which combine:
 *
 * - `jwt`: `auth` must be a JWT (HS256 with `secret`, RS256 or ES256 with `publicKey`),
 *   verified with `jose`: its `sub` must be the id, `exp` and `nbf` hold, a `cluster`
 *   claim (if any) must be the cluster; its other claims become the member's claims.
 * - `authorize(request)`: sees `auth`, the cluster, the id, the connection's headers,
 *   address and origin (and the token's claims, with `jwt`), and answers `false`, `true`
 *   or `{ claims }`. A hook that throws, rejects, or takes over `authorizeTimeoutMs`
 *   refuses.
 *
 * A refusal goes back to the client with a reason it can show.
 */
import { createPublicKey } from 'node:crypto'
import { errors as joseErrors, importSPKI, jwtVerify, type JWTPayload } from 'jose'
import { BadArgError, errorMessage } from '../../core/api/errors.js'
import { HubLimits, isJson, type Json } from '../../core/hub/hub-protocol.js'
import type { TimerHandle } from '../../core/util/async.js'

/** What `authorize` is asked about one join. */
export interface AuthorizeRequest {
  /** What the client sent as `auth` (plain JSON of at most 4 KiB), or `undefined`. */
  readonly auth: unknown
  readonly cluster: string
  readonly id: string
  /** The connection that asks: its HTTP upgrade request's headers, the peer address, the `Origin` header. */
  readonly handshake: {
    readonly headers: Readonly<Record<string, string | string[] | undefined>>
    readonly address: string
    readonly origin?: string
  }
  /** With `jwt`: the verified token's claims (to pass on, change, or refuse on). */
  readonly claims?: Json
}

/** `false` refuses; `true` admits (with the token's claims, if any); `{ claims }` admits with these claims. */
export type AuthorizeVerdict = boolean | { readonly claims: unknown }

/** Verifying `auth` as a JWT. */
export interface JwtOptions {
  /** The HS256 secret. */
  readonly secret?: string
  /** An RS256 (RSA) or ES256 (P-256) public key, as PEM (`-----BEGIN PUBLIC KEY-----`). */
  readonly publicKey?: string
}

export type Admission = { readonly ok: true; readonly claims: Json | undefined } | { readonly ok: false; readonly message: string }

/** The registered JWT claims, which say how the token is used rather than who the member is. */
const REGISTERED = new Set(['iss', 'sub', 'aud', 'exp', 'nbf', 'iat', 'jti', 'cluster'])

type Verifier = (token: unknown, cluster: string, id: string) => Promise<Admission>

/** Builds the JWT verifier, or throws `BadArgError` for options it cannot use. */
async function jwtVerifier(options: JwtOptions): Promise<Verifier> {
  const { secret, publicKey } = options
  if ((secret === undefined) === (publicKey === undefined)) throw new BadArgError('jwt needs exactly one of secret (HS256) or publicKey (RS256, ES256)')
  let key: Uint8Array | CryptoKey
  let algorithm: 'HS256' | 'RS256' | 'ES256'
  if (secret !== undefined) {
    if (typeof secret !== 'string' || secret.length < 32) throw new BadArgError('jwt.secret must be a string of at least 32 characters')
    key = new TextEncoder().encode(secret)
    algorithm = 'HS256'
  } else {
    let type: string | undefined
    try {
      const parsed = createPublicKey(publicKey as string)
      type = parsed.asymmetricKeyType === 'ec' ? `ec ${String(parsed.asymmetricKeyDetails?.namedCurve)}` : parsed.asymmetricKeyType
    } catch (error) {
      throw new BadArgError(`jwt.publicKey is not a PEM public key: ${errorMessage(error)}`)
    }
    if (type === 'rsa') algorithm = 'RS256'
    else if (type === 'ec prime256v1') algorithm = 'ES256'
    else throw new BadArgError(`jwt.publicKey must be an RSA or a P-256 key, got ${String(type)}`)
    key = await importSPKI(publicKey as string, algorithm)
  }
  return async (token, cluster, id) => {
    if (typeof token !== 'string') return { ok: false, message: 'auth must be a JWT (a string)' }
    let payload: JWTPayload
    try {
      ;({ payload } = await jwtVerify(token, key, { algorithms: [algorithm], subject: id }))
    } catch (error) {
      return { ok: false, message: tokenProblem(error, id) }
    }
    if (payload['cluster'] !== undefined && payload['cluster'] !== cluster) return { ok: false, message: `the token is for cluster ${JSON.stringify(payload['cluster'])?.slice(0, 140)}, not ${cluster}` }
    const claims: Record<string, Json> = {}
    for (const [name, value] of Object.entries(payload)) if (!REGISTERED.has(name)) claims[name] = value as Json
    if (!isJson(claims, HubLimits.claimsMaxBytes)) return { ok: false, message: `the token's claims are over ${HubLimits.claimsMaxBytes} bytes` }
    return { ok: true, claims: Object.keys(claims).length === 0 ? undefined : claims }
  }
}

/** Why a token was refused, in words a client can show. */
function tokenProblem(error: unknown, id: string): string {
  if (error instanceof joseErrors.JWTExpired) return 'the token has expired'
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === 'sub') return `the token's sub is not ${id}`
    if (error.claim === 'nbf') return 'the token is not valid yet (nbf)'
    return `the token's ${error.claim} claim is not valid`
  }
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'the token signature is not valid'
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return 'the token is signed with an algorithm this hub does not take'
  return `the token is not a valid JWT (${errorMessage(error).slice(0, 200)})`
}

/**
 * Builds the admission of a hub from its `jwt` and `authorize` options: no option admits
 * everyone without claims.
 *
 * @example
 * const admit = await createAdmission({ authorize: ({ auth }) => auth === 'letmein' }, 5000, console)
 * await admit({ auth: 'letmein', cluster: 'c', id: 'a', handshake: { headers: {}, address: '127.0.0.1' } }) // { ok: true, claims: undefined }
 */
export async function createAdmission(
  options: { readonly authorize?: ((request: AuthorizeRequest) => AuthorizeVerdict | Promise<AuthorizeVerdict>) | undefined; readonly jwt?: JwtOptions | undefined },
  timeoutMs: number,
  log: { warn(message: string): void; error(message: string): void },
): Promise<(request: AuthorizeRequest) => Promise<Admission>> {
  const verify = options.jwt === undefined ? undefined : await jwtVerifier(options.jwt)
  const hook = options.authorize
  if (hook !== undefined && typeof hook !== 'function') throw new BadArgError('authorize must be a function')
  return async (request) => {
    let claims: Json | undefined
    if (verify !== undefined) {
      const verdict = await verify(request.auth, request.cluster, request.id)
      if (!verdict.ok) return verdict
      claims = verdict.claims
    }
    if (hook === undefined) return { ok: true, claims }
    const refused: Admission = { ok: false, message: `not allowed to join ${request.cluster} as ${request.id}` }
    let timer: TimerHandle | undefined
    try {
      const timeout = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), timeoutMs)
      })
      const asked: AuthorizeRequest = claims === undefined ? request : { ...request, claims }
      const verdict = await Promise.race([Promise.resolve().then(() => hook(asked)), timeout])
      if (verdict === 'timeout') {
        log.warn(`authorize hook took over ${timeoutMs} ms for ${request.cluster}/${request.id} (authorizeTimeoutMs); refused`)
        return refused
      }
      if (verdict === true) return { ok: true, claims }
      if (typeof verdict !== 'object' || verdict === null) return refused
      if (!isJson(verdict.claims, HubLimits.claimsMaxBytes)) {
        log.error(`authorize hook gave ${request.cluster}/${request.id} claims that are not plain JSON of at most ${HubLimits.claimsMaxBytes} bytes; refused`)
        return refused
      }
      return { ok: true, claims: verdict.claims }
    } catch (error) {
      log.warn(`authorize hook threw for ${request.cluster}/${request.id}: ${errorMessage(error)}`)
      return refused
    } finally {
      clearTimeout(timer)
    }
  }
}
