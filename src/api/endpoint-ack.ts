/**
 * Checks for what remote gateways send: the `?gateway=<id>` of the endpoint
 * watch, the body of `POST /api/v1/endpoints/ack` and of `POST /api/v1/gateways/stats`. Every problem is reported
 * with its path, all at once.
 */

import { type FieldError, PierError } from '../errors.js';
import type { EndpointAck, GatewayStatsReport } from './control-plane.js';

const GATEWAY_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const ID_RULE = '1–128 letters, digits, ".", "_", ":" or "-"';

/** The optional `?gateway=` of the watch; undefined when absent. */
export function gatewayQuery(query: URLSearchParams): string | undefined {
  const raw = query.get('gateway');
  if (raw === null) return undefined;
  if (!GATEWAY_ID.test(raw)) {
    throw new PierError('BAD_REQUEST', `query parameter gateway must be ${ID_RULE}, got ${JSON.stringify(raw)}`, {
      errors: [{ path: 'gateway', message: `must be ${ID_RULE}` }],
    });
  }
  return raw;
}

export function parseEndpointAck(body: unknown): EndpointAck {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new PierError('BAD_REQUEST', 'an endpoint ack must be a JSON object {gateway, version, inflight}');
  }
  const { gateway, version, inflight } = body as Record<string, unknown>;
  const errors: FieldError[] = [];
  if (typeof gateway !== 'string' || !GATEWAY_ID.test(gateway)) {
    errors.push({ path: 'gateway', message: `must be a string of ${ID_RULE}, got ${show(gateway)}` });
  }
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 0) {
    errors.push({ path: 'version', message: `must be an integer ≥ 0, got ${show(version)}` });
  }
  const counts: Record<string, number> = {};
  if (inflight === null || typeof inflight !== 'object' || Array.isArray(inflight)) {
    errors.push({ path: 'inflight', message: `must be an object of instance id → count, got ${show(inflight)}` });
  } else {
    for (const [id, n] of Object.entries(inflight)) {
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
        errors.push({ path: `inflight.${id}`, message: `must be an integer ≥ 0, got ${show(n)}` });
      } else counts[id] = n;
    }
  }
  if (errors.length > 0) {
    const first = errors[0]!;
    throw new PierError('BAD_REQUEST', `invalid endpoint ack: ${first.path} ${first.message}`, { errors });
  }
  return { gateway: gateway as string, version: version as number, inflight: counts };
}

function show(value: unknown): string {
  return value === undefined ? 'nothing' : JSON.stringify(value);
}

/** The body of `POST /api/v1/gateways/stats` (a gateway replica's counters); problems come with paths. */
export function parseGatewayStats(body: unknown): GatewayStatsReport {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new PierError('BAD_REQUEST', 'gateway stats must be a JSON object {gateway, services, groups?}');
  }
  const { gateway, services, groups } = body as Record<string, unknown>;
  const errors: FieldError[] = [];
  if (typeof gateway !== 'string' || !GATEWAY_ID.test(gateway)) {
    errors.push({ path: 'gateway', message: `must be a string of ${ID_RULE}, got ${show(gateway)}` });
  }
  const count = (path: string, n: unknown): number => {
    if (typeof n === 'number' && Number.isInteger(n) && n >= 0) return n;
    errors.push({ path, message: `must be an integer ≥ 0, got ${show(n)}` });
    return 0;
  };
  const out: GatewayStatsReport['services'] = {};
  for (const [name, st] of entriesOf(services, 'services', errors)) {
    const s = (st ?? {}) as { pending?: unknown; instances?: unknown };
    const instances: Record<string, { requests: number; inflight: number }> = {};
    for (const [id, c] of entriesOf(s.instances, `services.${name}.instances`, errors)) {
      const x = (c ?? {}) as { requests?: unknown; inflight?: unknown };
      const at = `services.${name}.instances.${id}`;
      instances[id] = { requests: count(`${at}.requests`, x.requests), inflight: count(`${at}.inflight`, x.inflight) };
    }
    out[name] = {
      instances,
      ...(s.pending !== undefined ? { pending: count(`services.${name}.pending`, s.pending) } : {}),
    };
  }
  const groupCounts: Record<string, Record<string, number>> = {};
  if (groups !== undefined) {
    for (const [group, members] of entriesOf(groups, 'groups', errors)) {
      groupCounts[group] = {};
      for (const [m, n] of entriesOf(members, `groups.${group}`, errors)) {
        groupCounts[group][m] = count(`groups.${group}.${m}`, n);
      }
    }
  }
  if (errors.length > 0) {
    const first = errors[0]!;
    throw new PierError('BAD_REQUEST', `invalid gateway stats: ${first.path} ${first.message}`, { errors });
  }
  return { gateway: gateway as string, services: out, ...(groups !== undefined ? { groups: groupCounts } : {}) };
}

function entriesOf(value: unknown, path: string, errors: FieldError[]): [string, unknown][] {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) return Object.entries(value);
  errors.push({ path, message: `must be an object, got ${show(value)}` });
  return [];
}
