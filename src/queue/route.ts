/** What the gateway is told about an async service's queues: a pure function of its spec. */

import type { AsyncRoute } from '../gateway/index.js';
import { isAsyncService, type ServiceSpec } from '../spec/index.js';

const KiB = 1024;
const DEFAULT_SIDE = { max_length: 10_000, max_payload_size_kb: 8 * 1024, auto_evict: false };

export function asyncRoute(spec: ServiceSpec): AsyncRoute | undefined {
  if (!isAsyncService(spec)) return undefined;
  const source = { ...DEFAULT_SIDE, max_delivery: 5, ...spec.queue?.source };
  const sink = { ...DEFAULT_SIDE, ...spec.queue?.sink };
  const bounds = (s: typeof DEFAULT_SIDE) => ({
    maxLength: s.max_length,
    maxPayloadBytes: s.max_payload_size_kb * KiB,
    autoEvict: s.auto_evict,
  });
  return {
    proxyPath: spec.metadata.rpc.proxy_path ?? '/',
    maxDelivery: source.max_delivery,
    source: bounds(source),
    sink: bounds(sink),
  };
}
