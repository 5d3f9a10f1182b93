/** Builders shared by the autoscaler's tests. */
import type { AutoscalerSpec, ScaleStrategy } from '../../src/spec/index.js';
import type { MetricsSnapshot, MetricValues } from '../../src/autoscaler/types.js';

export function autoscalerSpec(
  over: Partial<Omit<AutoscalerSpec, 'behavior'>> & {
    up?: number;
    down?: number;
    grace?: number;
    activation?: number;
    strategies?: ScaleStrategy[];
  } = {},
): AutoscalerSpec {
  const { up = 0, down = 300, grace = 600, activation = 1, strategies, ...rest } = over;
  return {
    min: 1,
    max: 10,
    scaleStrategies: strategies ?? [{ metricName: 'qps', threshold: 20 }],
    behavior: {
      scaleUp: { stabilizationWindowSeconds: up },
      scaleDown: { stabilizationWindowSeconds: down },
      onZero: { scaleDownGracePeriodSeconds: grace, scaleUpActivationReplicas: activation },
    },
    ...rest,
  };
}

/** A snapshot where both windows show the same values unless `panic` is given. */
export function snap(
  stable: MetricValues,
  panic: MetricValues = stable,
  extra: Partial<MetricsSnapshot> = {},
): MetricsSnapshot {
  return { stable, panic, ...extra };
}
