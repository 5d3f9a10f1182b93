/**
 * The desired state of a service that only exists as a spec file (`pier export`,
 * the fixtures): revision 1 of the spec at its starting size, unless told otherwise.
 */

import { resolveRollingStrategy, type ServiceSpec } from '../../../spec/index.js';
import { makeInstancePlan } from '../../plan/index.js';
import type { DesiredState } from '../../types.js';

/**
 * The image `pier export` gives containers that have only `command`/`script`, when
 * `--default-image` is not set: EAS's own examples run Python, and this image has
 * `python3`, `pip` and `/bin/sh`.
 */
export const DEFAULT_IMAGE = 'python:3.12-slim';

export function desiredFromSpec(
  spec: ServiceSpec,
  config: { defaultImage: string },
  at: { revision?: number; replicas?: number } = {},
): DesiredState {
  const md = spec.metadata;
  const revision = at.revision ?? 1;
  // With an autoscaler, metadata.instance is the start size, kept inside [min, max].
  const replicas =
    at.replicas ??
    (spec.autoscaler ? Math.min(spec.autoscaler.max, Math.max(spec.autoscaler.min, md.instance)) : md.instance);
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
