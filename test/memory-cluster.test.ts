import { createMemoryChannelPair } from '../src/core/index.js'
import { clusterSuite } from './support/cluster-suite.js'

clusterSuite('in-memory channels', async (a, b) => {
  const [x, y] = createMemoryChannelPair()
  await Promise.all([a.link(x), b.link(y)])
})
