/**
 * simple-peer's browser build (./simple-peer.js, made by scripts/simple-peer/build.mjs):
 * the same `Peer` class as the npm package, built on a small stand-in for Node's streams,
 * so an app's bundler needs no polyfill. Its 'data' events carry `Uint8Array`s.
 */
import Peer from 'simple-peer'
export default Peer
