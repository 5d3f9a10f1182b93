/** Metric windows, the scaling decision, scheduled scaling and the loop around them. */
export {
  Autoscaler,
  type AutoscalerDeps,
  type AutoscalerLogger,
  type AutoscalerStatus,
  type InstanceView,
  type ServiceView,
  type StatsLike,
} from './autoscaler.js';
export { type SampleInput, ServiceMetrics } from './collect.js';
export { type CronExpr, type CronTz, matchesCron, nextCronTime, parseCron } from './cron.js';
export { type CronFire, cronTarget, isExcludedDay } from './cron-target.js';
export { decide, strategiesOf } from './decide.js';
export {
  firstDecisionReaching,
  type SimDecision,
  type SimTick,
  type SimulateOptions,
  type SimulateResult,
  simulate,
  type TracePoint,
} from './simulate.js';
export {
  DEFAULT_OPTIONS,
  type DecideInput,
  type DecideOptions,
  type DeciderState,
  type Decision,
  decideOptions,
  initialDeciderState,
  type MetricsSnapshot,
  type MetricValues,
  type Policy,
  type WindowSpans,
  windowsFor,
} from './types.js';
export { MetricWindow } from './window.js';
