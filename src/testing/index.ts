/**
 * distribunator/testing: checks for people who write their own `Channel` (a transport
 * under the node protocol). Test-runner agnostic: plain async checks that throw, or a
 * registrar you map to your runner.
 *
 * @example
 * import { it } from 'vitest'
 * import { channelCompliance } from 'distribunator/testing'
 * channelCompliance(it, async () => ({ a: myChannelA, b: myChannelB }))
 */
export { channelCompliance, channelComplianceChecks, type ChannelCheck, type ChannelComplianceOptions, type ChannelPair } from './channel-compliance.js'
