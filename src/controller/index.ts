export { countInstances, type ControlPlaneDeps, LocalControlPlane } from './control-plane.js';
export {
  GatewayRegistry,
  type GatewayRegistryDeps,
  type RemoteGatewayState,
  remoteDrainDone,
  remoteDrainPending,
} from './gateways.js';
export {
  GATEWAY_STATS_STALE_MS,
  type GatewayStatsEntry,
  GatewayStatsBoard,
  type MergedStats,
  mergeGatewayStats,
} from './gateway-stats.js';
export { Reconciler, type ReconcilerDeps, type ServiceRuntimeState } from './reconciler.js';
export { groupMembership, groupRoutes, serviceRoute } from './routes.js';
export {
  planRolloutStep,
  removalOrder,
  type RolloutInstance,
  type RolloutSnapshot,
  type RolloutStep,
} from '../platform/index.js';
export { computeServiceStatus, type StatusInput, type StatusResult } from './status.js';
export { type ControllerView, ControllerMetrics } from './metrics.js';
