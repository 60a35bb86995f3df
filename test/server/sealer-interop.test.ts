/**
 * The two password sealers seal alike: what WebCrypto's (the browser's) seals, Node's
 * `node:crypto` one opens, and back, with the same password and cluster; another
 * password, another cluster or another binding opens nothing.
 */
import { describe, expect, it } from 'vitest'
import { passwordSealer } from '../../src/core/hub/sealed.js'
import { nodePasswordSealer } from '../../src/server/node-sealer.js'

const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes)
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s)

describe('password sealers', () => {
  it('WebCrypto and node:crypto read each other, and nothing else', async () => {
    const web = await passwordSealer('pw', 'room')
    const node = await nodePasswordSealer('pw', 'room')
    expect(text(await node.open(await web.seal(bytes('from a tab'), 'b1'), 'b1'))).toBe('from a tab')
    expect(text(await web.open(await node.seal(bytes('from Node'), 'b2'), 'b2'))).toBe('from Node')
    const sealed = await node.seal(bytes('x'), 'b3')
    await expect(Promise.resolve().then(() => web.open(sealed, 'another binding'))).rejects.toThrow()
    await expect(Promise.resolve().then(async () => (await nodePasswordSealer('other', 'room')).open(sealed, 'b3'))).rejects.toThrow()
    await expect(Promise.resolve().then(async () => (await passwordSealer('pw', 'other room')).open(sealed, 'b3'))).rejects.toThrow()
  })
})
