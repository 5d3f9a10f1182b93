/** Helpers other folders need from a normalized spec. */

import type { ContainerSpec, RollingStrategy, ServiceSpec } from './types.js';

function amount(value: number | string, desired: number, roundUp: boolean): number {
  if (typeof value === 'number') return value;
  const text = value.trim();
  if (!text.endsWith('%')) return Number(text);
  const scaled = (desired * Number(text.slice(0, -1))) / 100;
  return roundUp ? Math.ceil(scaled) : Math.floor(scaled);
}

/**
 * Instance counts for one rolling update, as a Deployment's maxSurge/maxUnavailable
 * (kubernetes pkg/controller/deployment/util/deployment_util.go ResolveFenceposts): percents of
 * `desired`, surge rounded up and unavailable down; if both come to 0, one instance
 * may be unavailable; unavailable never exceeds `desired`.
 */
export function resolveRollingStrategy(
  strategy: RollingStrategy,
  desired: number,
): { maxSurge: number; maxUnavailable: number } {
  const maxSurge = amount(strategy.max_surge, desired, true);
  let maxUnavailable = amount(strategy.max_unavailable, desired, false);
  if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
  return { maxSurge, maxUnavailable: Math.max(0, Math.min(maxUnavailable, desired)) };
}

/** EAS service name → DNS label: `_` becomes `-`, lower case. */
export function dnsLabel(name: string): string {
  return name.replace(/_/g, '-').toLowerCase();
}

/** The serving container: the first with a port (validation guarantees one). */
export function servingContainer(spec: ServiceSpec): ContainerSpec {
  return spec.containers.find((c) => c.port !== undefined) ?? spec.containers[0];
}
