/**
 * simple-peer's prebundled build: the same `Peer` class as the npm entry, but with its
 * Node shims (global, process, events, buffer) inlined, so a browser bundle needs no
 * polyfill configuration.
 */
declare module 'simple-peer/simplepeer.min.js' {
  import Peer from 'simple-peer'
  export default Peer
}
