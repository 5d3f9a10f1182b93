/**
 * What the gateways are told about one service: a pure function of the stored
 * service, its current revision and its ready instances' endpoints.
 */

import type { Endpoint, ServiceRoute } from '../gateway/index.js';
import type { ServiceSpec } from '../spec/index.js';
import type { ServiceRecord } from '../store/index.js';
import { asyncRoute } from '../queue/index.js';

export function serviceRoute(svc: ServiceRecord, spec: ServiceSpec, endpoints: Endpoint[]): ServiceRoute {
  const rpc = spec.metadata.rpc;
  const queue = asyncRoute(spec);
  return {
    name: svc.name,
    token: svc.token,
    endpoints: [...endpoints].sort((a, b) => a.instanceId.localeCompare(b.instanceId)),
    stopped: svc.stopped || svc.desiredInstances === 0,
    rpc: {
      keepalive: rpc.keepalive,
      worker_threads: rpc.worker_threads,
      max_queue_size: rpc.max_queue_size,
      ...(rpc.rate_limit !== undefined ? { rate_limit: rpc.rate_limit } : {}),
    },
    enableGrpc: spec.metadata.enable_grpc,
    enableWebservice: spec.metadata.enable_webservice,
    // Scaled to zero on purpose: the gateway holds requests while instances start.
    activate: spec.autoscaler?.min === 0 && !svc.stopped,
    ...(queue ? { queue } : {}),
  };
}
