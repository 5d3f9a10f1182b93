/**
 * The controller's series, read from the store and the reconciler at scrape
 * time: desired and ready instances per service (as kube-state-metrics'
 * `kube_deployment_spec_replicas` / `_status_replicas_ready`), instances by
 * state, restarts, and a counter of events by reason — probe failures
 * (Unhealthy), rollouts (Updating), autoscaling (Autoscaled), kills (Killing).
 * Series of a deleted service are dropped.
 */

import { Counter, Gauge, type Registry } from 'prom-client';
import type { InstanceView } from '../api/index.js';

export interface ControllerView {
  /** Every service now, with what the controller wants and has. */
  services(): { name: string; desired: number; instances: InstanceView[]; autoscalerDesired?: number }[];
}

export class ControllerMetrics {
  /** service → "type\0reason" → count */
  private readonly events = new Map<string, Map<string, number>>();

  constructor(registry: Registry, view: ControllerView) {
    const events = this.events;
    const snapshot = () => {
      const all = view.services();
      const names = new Set(all.map((s) => s.name));
      for (const name of events.keys()) if (!names.has(name)) events.delete(name);
      return all;
    };
    new Gauge({
      name: 'pier_service_desired_instances',
      help: 'Instances the service should have (0 when stopped), as set by the spec, pier scale or the autoscaler.',
      labelNames: ['service'],
      registers: [registry],
      collect() {
        this.reset();
        for (const s of snapshot()) this.set({ service: s.name }, s.desired);
      },
    });
    new Gauge({
      name: 'pier_service_ready_instances',
      help: 'Instances whose readiness probe passes (they receive traffic).',
      labelNames: ['service'],
      registers: [registry],
      collect() {
        this.reset();
        for (const s of snapshot()) this.set({ service: s.name }, s.instances.filter((i) => i.ready).length);
      },
    });
    new Gauge({
      name: 'pier_service_instances',
      help: 'Instances by state (Pending, Starting, Running, CrashLoopBackOff, Terminating, Failed).',
      labelNames: ['service', 'state'],
      registers: [registry],
      collect() {
        this.reset();
        for (const s of snapshot()) {
          const by = new Map<string, number>();
          for (const i of s.instances) by.set(i.state, (by.get(i.state) ?? 0) + 1);
          for (const [state, n] of by) this.set({ service: s.name, state }, n);
        }
      },
    });
    new Gauge({
      name: 'pier_service_instance_restarts',
      help: "Restarts of the service's current instances (the sum of their restart counts).",
      labelNames: ['service'],
      registers: [registry],
      collect() {
        this.reset();
        for (const s of snapshot())
          this.set(
            { service: s.name },
            s.instances.reduce((n, i) => n + i.restarts, 0),
          );
      },
    });
    new Gauge({
      name: 'pier_autoscaler_desired_instances',
      help: "The autoscaler's last recommendation (services with an autoscaler that has decided once).",
      labelNames: ['service'],
      registers: [registry],
      collect() {
        this.reset();
        for (const s of snapshot())
          if (s.autoscalerDesired !== undefined) this.set({ service: s.name }, s.autoscalerDesired);
      },
    });
    new Counter({
      name: 'pier_controller_events_total',
      help: 'Events the controller recorded, by type and reason (Unhealthy = a probe failed, Updating = a rollout began, Killing, Autoscaled, …).',
      labelNames: ['service', 'type', 'reason'],
      registers: [registry],
      collect() {
        snapshot();
        this.reset();
        for (const [service, byKey] of events) {
          for (const [key, n] of byKey) {
            const [type, reason] = key.split('\0') as [string, string];
            this.inc({ service, type, reason }, n);
          }
        }
      },
    });
  }

  event(service: string, type: string, reason: string): void {
    let byKey = this.events.get(service);
    if (!byKey) {
      byKey = new Map();
      this.events.set(service, byKey);
    }
    const key = `${type}\0${reason}`;
    byKey.set(key, (byKey.get(key) ?? 0) + 1);
  }
}
