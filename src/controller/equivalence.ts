/**
 * Whether two specs run the same instances. A change that touches only how
 * Pier treats instances from outside (count, autoscaler, gateway limits, rollout
 * strategy, grace) makes a new revision without replacing anything; a change to
 * what an instance runs (containers, storage, resources) rolls it out.
 */

import type { ServiceSpec } from '../spec/index.js';

const OUTSIDE_TOP = ['token', 'autoscaler', 'cronscaler', 'name'];
const OUTSIDE_METADATA = ['name', 'instance', 'rpc', 'rolling_strategy', 'eas', 'enable_webservice', 'enable_grpc'];

export function runsSame(a: ServiceSpec, b: ServiceSpec): boolean {
  return canonicalJson(instancePart(a)) === canonicalJson(instancePart(b));
}

function instancePart(spec: ServiceSpec): unknown {
  const top: Record<string, unknown> = { ...spec };
  for (const k of OUTSIDE_TOP) delete top[k];
  const metadata: Record<string, unknown> = { ...spec.metadata };
  for (const k of OUTSIDE_METADATA) delete metadata[k];
  top.metadata = metadata;
  return top;
}

/** JSON with object keys sorted, so equal values compare equal whatever their key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([x], [y]) => x.localeCompare(y)))
      : v,
  );
}
