import { createMemoryChannelPair } from '../../src/core/index.js'
import { clusterSuite, type Linker } from '../support/cluster-suite.js'
import { valuesSuite } from '../support/values-suite.js'

const memory: Linker = async (a, b) => {
  const [x, y] = createMemoryChannelPair()
  await Promise.all([a.link(x), b.link(y)])
}

clusterSuite('in-memory channels', memory)
valuesSuite('in-memory channels', memory)
