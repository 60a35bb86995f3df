/** UTF-8 sizes of strings, computed the way `TextEncoder` writes them. */

const encoder = new TextEncoder()
let scratch: Uint8Array | undefined

/**
 * Bytes of `text` in UTF-8 as `TextEncoder` writes it (a lone surrogate becomes U+FFFD,
 * 3 bytes). Encodes into a small scratch buffer block by block: for ASCII text that runs
 * at memory-copy speed, several times faster than counting in a loop.
 *
 * @example
 * utf8Length('aé€😀') // 1 + 2 + 3 + 4 = 10
 */
export function utf8Length(text: string): number {
  const buffer = (scratch ??= new Uint8Array(64 * 1024))
  let bytes = 0
  for (let at = 0; at < text.length; ) {
    const { read, written } = encoder.encodeInto(at === 0 ? text : text.substring(at), buffer)
    at += read
    bytes += written
  }
  return bytes
}
