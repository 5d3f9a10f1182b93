/** The prober gets from the plan exactly the probes it used to work out from the spec. */

import { describe, expect, it } from 'vitest';
import { probeSpec } from '../../../test/support/probe.js';
import { makeSpec } from '../../../test/support/runtime.js';
import { probeSpecsFor } from '../../probe/index.js';
import type { ContainerSpec } from '../../spec/index.js';
import { makeInstancePlan, servingOf } from '../plan/index.js';
import { probeSpecsOfPlan } from './probes.js';

const rows: { name: string; serving: Partial<ContainerSpec> }[] = [
  { name: 'no probe: the default TCP readiness on the serving port', serving: {} },
  {
    name: 'http readiness with host, scheme and headers, tcp liveness with a grace',
    serving: {
      readiness_check: probeSpec({
        http_get: {
          path: '/ready',
          port: 8000,
          host: '127.0.0.1',
          scheme: 'HTTPS',
          http_headers: [{ name: 'X-Probe', value: 'pier' }],
        },
        initial_delay_seconds: 2,
        success_threshold: 2,
      }),
      liveness_check: {
        tcp_socket: { port: 8000, host: 'localhost' },
        initial_delay_seconds: 1,
        period_seconds: 5,
        timeout_seconds: 2,
        success_threshold: 1,
        failure_threshold: 4,
        termination_grace_period_seconds: 3,
      },
    },
  },
  {
    name: 'exec startup, grpc readiness',
    serving: {
      startup_check: {
        ...probeSpec({ failure_threshold: 30 }),
        http_get: undefined,
        exec: { command: ['cat', '/ok'] },
      },
      readiness_check: { ...probeSpec(), http_get: undefined, grpc: { port: 8000, service: 'model' } },
    },
  },
  { name: 'the older health_check as readiness', serving: { health_check: probeSpec({ period_seconds: 3 }) } },
];

describe('probeSpecsOfPlan', () => {
  it.each(rows)('$name', ({ serving }) => {
    const spec = makeSpec([{ image: 'sidecar:1' }, { command: 'python3 app.py', port: 8000, ...serving }]);
    const container = spec.containers[1] as ContainerSpec;
    const fromPlan = probeSpecsOfPlan(servingOf(makeInstancePlan(spec, 1)));
    // JSON: the spec's probes may carry `http_get: undefined`, the plan's never do.
    expect(fromPlan).toEqual(JSON.parse(JSON.stringify(probeSpecsFor(container, 8000))));
  });
});
