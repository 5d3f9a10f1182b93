/** Probe fields (liveness/readiness/startup and the older health_check), with Kubernetes semantics. */

import { z } from 'zod';
import { parse as shellParse } from 'shell-quote';
import { type Ctx, isSet, issue, list, num, obj, oneOf, port, str } from './fields.js';
import { describe } from './format.js';
import { documented } from './json-schema.js';
import { checkHeaderName, checkHeaderValue, checkHost, checkHttpPath, checkNoNul } from './references.js';

export type ProbeKind = 'liveness_check' | 'readiness_check' | 'startup_check' | 'health_check';
export const PROBE_KINDS: readonly ProbeKind[] = ['liveness_check', 'readiness_check', 'startup_check', 'health_check'];
export const PROBE_HANDLERS = ['http_get', 'tcp_socket', 'exec', 'grpc'] as const;

export const PROBE_DEFAULTS = {
  initial_delay_seconds: 0,
  period_seconds: 10,
  timeout_seconds: 1,
  success_threshold: 1,
  failure_threshold: 3,
} as const;

/**
 * The older readiness-style `health_check` of a container (EAS custom-image deployment,
 * https://www.alibabacloud.com/help/en/pai/user-guide/parameters-of-model-services).
 */
export const HEALTH_CHECK_DEFAULTS = {
  initial_delay_seconds: 3,
  period_seconds: 3,
  timeout_seconds: 1,
  success_threshold: 1,
  failure_threshold: 3,
} as const;

const httpGet = obj(
  {
    path: str({ default: '/', example: '/health', check: checkHttpPath }),
    port: port(),
    host: str({ nonEmpty: true, example: '127.0.0.1', check: checkHost }),
    scheme: oneOf(['HTTP', 'HTTPS'] as const, { default: 'HTTP' }),
    http_headers: list(
      obj({
        name: str({ required: true, example: 'Host', check: checkHeaderName }),
        value: str({ coerce: true, default: '', check: checkHeaderValue }),
      }),
      { max: 64 },
    ),
  },
  { optional: true, example: '{"path": "/health", "port": 8000}' },
);

const tcpSocket = obj(
  { port: port(), host: str({ nonEmpty: true, example: '127.0.0.1', check: checkHost }) },
  { optional: true, example: '{"port": 8000}' },
);

/** exec.command is an argv list; for a string, the error shows the list it would split into. */
const argv = documented(
  z.unknown().transform((raw, ctx) => {
    const example = '["cat", "/tmp/healthy"]';
    if (raw === undefined || raw === null)
      return issue(ctx, `command is required: a list of program and arguments, e.g. ${example}`);
    if (typeof raw === 'string') {
      const words = shellParse(raw);
      if (words.length > 0 && words.every((w) => typeof w === 'string')) {
        return issue(
          ctx,
          `command ${describe(raw)} is a string; exec runs without a shell and takes a list: ${JSON.stringify(words)}`,
        );
      }
      return issue(ctx, `command ${describe(raw)} is a string; give a list such as ${example}`);
    }
    if (!Array.isArray(raw) || raw.length === 0 || raw.length > 1000) {
      return issue(ctx, `command ${describe(raw)} must be a list with 1 to 1000 items, e.g. ${example}`);
    }
    const bad = raw.findIndex((w) => typeof w !== 'string' && typeof w !== 'number');
    if (bad >= 0)
      return issue(ctx, `command[${bad}] ${describe(raw[bad])} is not a string; every item is one argument`);
    const nul = raw.findIndex((w) => typeof w === 'string' && checkNoNul(w) !== undefined);
    if (nul >= 0) return issue(ctx, `command[${nul}] ${describe(raw[nul])} ${checkNoNul('\u0000')}`);
    return raw.map(String);
  }),
  {
    schema: {
      type: 'array',
      description: 'program and arguments, run without a shell',
      items: { type: ['string', 'number'] },
      minItems: 1,
      maxItems: 1000,
    },
    required: true,
  },
);

const exec = obj({ command: argv }, { optional: true, example: '{"command": ["cat", "/tmp/healthy"]}' });

const grpc = obj({ port: port(), service: str() }, { optional: true, example: '{"port": 8000}' });

export function probeSchema(kind: ProbeKind) {
  const d = kind === 'health_check' ? HEALTH_CHECK_DEFAULTS : PROBE_DEFAULTS;
  // Kubernetes sets no upper bound; these keep every timer far below Node's 2^31-1 ms.
  const timing = (def: number, min: number, zeroIsDefault: boolean) =>
    num({ int: true, min, max: 3600, default: def, zeroIsDefault, unit: 'seconds' });
  const threshold = (def: number) => num({ int: true, min: 1, max: 1000, default: def, zeroIsDefault: true });
  return obj(
    {
      http_get: httpGet,
      tcp_socket: tcpSocket,
      exec,
      grpc,
      initial_delay_seconds: num({ int: true, min: 0, max: 3600, default: d.initial_delay_seconds, unit: 'seconds' }),
      period_seconds: timing(d.period_seconds, 1, true),
      timeout_seconds: timing(d.timeout_seconds, 1, true),
      success_threshold: threshold(d.success_threshold),
      failure_threshold: threshold(d.failure_threshold),
      termination_grace_period_seconds: num({ int: true, min: 1, max: 3600, unit: 'seconds', example: 30 }),
    },
    { optional: true, example: '{"http_get": {"path": "/", "port": 8000}}' },
    (probe, ctx) => checkProbe(kind, probe, ctx),
  );
}

function checkProbe(kind: ProbeKind, probe: Record<string, unknown>, ctx: Ctx): void {
  const handlers = PROBE_HANDLERS.filter((h) => probe[h] !== undefined);
  if (handlers.length === 0) {
    issue(
      ctx,
      `${kind} has no handler; give exactly one of http_get, tcp_socket, exec, grpc, e.g. "${kind}": {"http_get": {"path": "/", "port": 8000}}`,
    );
  } else if (handlers.length > 1) {
    issue(ctx, `${kind} has ${handlers.length} handlers (${handlers.join(', ')}); keep exactly one of them`);
  }
  const mustBeOne = kind === 'liveness_check' || kind === 'startup_check';
  if (mustBeOne && typeof probe.success_threshold === 'number' && probe.success_threshold !== 1) {
    issue(
      ctx,
      `success_threshold ${probe.success_threshold} is not allowed on ${kind}: Kubernetes requires 1 for liveness and startup probes; set it to 1 or remove it (readiness_check may ask for several successes)`,
      ['success_threshold'],
    );
  }
  if (
    !mustBeOne &&
    isSet(probe.termination_grace_period_seconds) &&
    probe.termination_grace_period_seconds !== undefined
  ) {
    issue(
      ctx,
      `termination_grace_period_seconds is only allowed on liveness_check and startup_check, not on ${kind}; remove it (use metadata.eas.termination_grace_period for the service)`,
      ['termination_grace_period_seconds'],
    );
  }
}
