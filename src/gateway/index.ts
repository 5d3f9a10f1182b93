export type * from './types.js';
export { createGateway, type Gateway, type GatewayOptions } from './gateway.js';
export { pickEndpoint } from './lb/p2c.js';
export { createRoundRobin } from './lb/round-robin.js';
export { createStatsReporter, type StatsReporter, statsReport } from './remote-stats.js';
export { createRemoteEndpointSource, type RemoteEndpointSource, type RemoteSourceOptions } from './remote-source.js';
export { createEndpointStore, type EndpointStore } from './store.js';
export { type DiscoveryMode, DISCOVERY_MODES, isDiscoveryMode } from './discovery.js';
export { groupShares, type Share } from './groups/pick.js';
