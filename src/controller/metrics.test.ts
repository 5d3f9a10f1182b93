import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { InstanceView } from '../api/index.js';
import { ControllerMetrics } from './metrics.js';

const instance = (id: string, ready: boolean, restarts: number, state: InstanceView['state']): InstanceView => ({
  id,
  service: 'svc',
  revision: 1,
  state,
  ready,
  restarts,
  address: null,
  startedAt: null,
  probes: {},
});

describe('ControllerMetrics', () => {
  it('exposes desired/ready/state/restarts per service and counts events by reason', async () => {
    const registry = new Registry();
    let services = [
      {
        name: 'svc',
        desired: 3,
        instances: [instance('a', true, 0, 'Running'), instance('b', false, 2, 'CrashLoopBackOff')],
        autoscalerDesired: 4,
      },
    ];
    const m = new ControllerMetrics(registry, { services: () => services });
    m.event('svc', 'Warning', 'Unhealthy');
    m.event('svc', 'Warning', 'Unhealthy');
    m.event('svc', 'Normal', 'Updating');
    const text = await registry.metrics();
    expect(text).toContain('pier_service_desired_instances{service="svc"} 3');
    expect(text).toContain('pier_service_ready_instances{service="svc"} 1');
    expect(text).toContain('pier_service_instances{service="svc",state="CrashLoopBackOff"} 1');
    expect(text).toContain('pier_service_instance_restarts{service="svc"} 2');
    expect(text).toContain('pier_autoscaler_desired_instances{service="svc"} 4');
    expect(text).toContain('pier_controller_events_total{service="svc",type="Warning",reason="Unhealthy"} 2');
    expect(text).toContain('pier_controller_events_total{service="svc",type="Normal",reason="Updating"} 1');
    services = [] as typeof services;
    expect(await registry.metrics()).not.toContain('service="svc"');
  });
});
