/**
 * The desired state of a service that only exists as a spec file (`pier export`,
 * the fixtures): revision 1 of the spec at its starting size.
 */

import { resolveRollingStrategy, type ServiceSpec } from '../../../spec/index.js';
import { makeInstancePlan } from '../../plan/index.js';
import type { DesiredState } from '../../types.js';

export function desiredFromSpec(spec: ServiceSpec, config: { defaultImage: string }, revision = 1): DesiredState {
  const md = spec.metadata;
  // With an autoscaler, metadata.instance is the start size, kept inside [min, max].
  const replicas = spec.autoscaler
    ? Math.min(spec.autoscaler.max, Math.max(spec.autoscaler.min, md.instance))
    : md.instance;
  return {
    service: spec.name,
    current: { revision, spec, plan: makeInstancePlan(spec, revision, { defaultImage: config.defaultImage }) },
    replicas,
    strategy: {
      ...resolveRollingStrategy(md.rolling_strategy, replicas),
      minReadySeconds: md.rolling_strategy.min_ready_seconds,
    },
    equivalent: [],
  };
}
