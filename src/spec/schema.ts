/** The whole spec's shape: metadata, autoscaler, cronscaler and the top level. */

import { z } from 'zod';
import { isPlainObject, toNumber } from './coerce.js';
import { containersSchema, storageSchema } from './container-schema.js';
import { checkCron } from './cron.js';
import { bool, type Ctx, isSet, issue, list, num, numberSchema, obj, oneOf, str } from './fields.js';
import { describe, fieldName } from './format.js';
import { documented, type JsonSchema, NUMERAL, trimmed } from './json-schema.js';
import { NAME_PATTERN } from './prepare.js';

export const SPEC_DEFAULTS = {
  instance: 1,
  gpu: 0,
  rolling_strategy: { max_surge: '2%', max_unavailable: 0, min_ready_seconds: 0, progress_deadline_seconds: 600 },
  rpc: { keepalive: 5000, worker_threads: 5, max_queue_size: 64, enable_sigterm: false },
  eas: { termination_grace_period: 30 },
  autoscaler: {
    scaleUpStabilizationWindowSeconds: 0,
    scaleDownStabilizationWindowSeconds: 300,
    scaleDownGracePeriodSeconds: 600,
    scaleUpActivationReplicas: 1,
  },
} as const;

/**
 * Upper bounds: far above any real service, low enough that no timer overflows
 * (Node's setTimeout holds at most 2^31-1 ms) and no loop over instances runs away.
 */
export const MAX_INSTANCES = 1000;
const HOUR = 3600;
const DAY = 86_400;
const MAX_RATE = 1_000_000;
const MAX_THRESHOLD = 1_000_000;

/** Integer ≥ 0 or a percent string "N%" (rolling_strategy.max_surge / max_unavailable). */
function countOrPercent(defaultValue: number | string, maxPercent: number) {
  const schema: JsonSchema = {
    type: ['integer', 'string'],
    description: `an integer from 0 to ${MAX_INSTANCES} or a percent string from "0%" to "${maxPercent}%"`,
    pattern: trimmed(`\\d+%|${NUMERAL}`),
    minimum: 0,
    maximum: MAX_INSTANCES,
  };
  return documented(
    z.unknown().transform((raw, ctx) => {
      const name = fieldName(ctx.path);
      const fix = `use an integer from 0 to ${MAX_INSTANCES} or a percent string from "0%" to "${maxPercent}%", such as "25%"`;
      if (raw === undefined || raw === null) return defaultValue;
      if (typeof raw === 'string' && raw.trim().endsWith('%')) {
        const m = /^(\d+)%$/.exec(raw.trim());
        if (!m) return issue(ctx, `${name} ${describe(raw)} is not a valid percent; ${fix}`);
        const pct = m[1].length > 9 ? Number.POSITIVE_INFINITY : Number(m[1]);
        if (pct > maxPercent) {
          return issue(ctx, `${name} ${describe(raw)} is more than ${maxPercent}%; use at most "${maxPercent}%"`);
        }
        return `${pct}%`;
      }
      const n = toNumber(raw);
      if (n === undefined || !Number.isInteger(n) || n < 0)
        return issue(ctx, `${name} ${describe(raw)} is not allowed; ${fix}`);
      if (n > MAX_INSTANCES) return issue(ctx, `${name} ${describe(raw)} is out of range; ${fix}`);
      return n;
    }),
    { schema },
  );
}

const isZero = (v: unknown) => v === 0 || v === '0%';

const rollingStrategy = obj(
  {
    max_surge: countOrPercent(SPEC_DEFAULTS.rolling_strategy.max_surge, 1000),
    max_unavailable: countOrPercent(SPEC_DEFAULTS.rolling_strategy.max_unavailable, 100),
    min_ready_seconds: num({ int: true, min: 0, max: HOUR, default: 0, unit: 'seconds' }),
    progress_deadline_seconds: num({ int: true, min: 1, max: DAY, default: 600, unit: 'seconds' }),
  },
  { example: '{"max_surge": 1, "max_unavailable": 0}' },
  (rs, ctx) => {
    if (isZero(rs.max_surge) && isZero(rs.max_unavailable)) {
      issue(
        ctx,
        'max_surge and max_unavailable are both 0, so a rolling update could never replace an instance; set max_surge to 1 (or max_unavailable to 1)',
      );
    }
    const ready = rs.min_ready_seconds;
    const deadline = rs.progress_deadline_seconds;
    if (typeof ready === 'number' && typeof deadline === 'number' && deadline <= ready) {
      issue(
        ctx,
        `progress_deadline_seconds ${deadline} must be greater than min_ready_seconds ${ready}; raise it to at least ${ready + 1}`,
        ['progress_deadline_seconds'],
      );
    }
  },
);

const rpc = obj(
  {
    keepalive: num({ int: true, min: 1, max: DAY * 1000, default: 5000, unit: 'milliseconds' }),
    worker_threads: num({ int: true, min: 1, max: 1024, default: 5 }),
    max_queue_size: num({ int: true, min: 0, max: 100_000, default: 64 }),
    rate_limit: num({ gt: 0, max: MAX_RATE, unit: 'requests per second', example: 100 }),
    enable_sigterm: bool(false),
    proxy_path: str({ nonEmpty: true, example: '/', check: checkProxyPath }),
  },
  { example: '{"keepalive": 10000}' },
);

const eas = obj(
  { termination_grace_period: num({ min: 0, max: HOUR, default: 30, unit: 'seconds' }) },
  { example: '{"termination_grace_period": 30}' },
);

export const metadataSchema = obj(
  {
    name: serviceName(),
    instance: num({ int: true, min: 0, max: MAX_INSTANCES, default: 1 }),
    cpu: num({ min: 0, max: 1024, unit: 'cores', example: 1 }),
    memory: num({ min: 0, max: 16 * 1024 * 1024, unit: 'MB', example: 4000 }),
    gpu: num({ int: true, min: 0, max: 64, default: 0 }),
    enable_grpc: bool(false),
    enable_webservice: bool(false),
    rolling_strategy: rollingStrategy,
    rpc,
    eas,
    type: str({ nonEmpty: true }),
    // Elastic nodes on Kubernetes (docs/kubernetes.md), with the values of ACK's
    // alibabacloud.com/burst-resource: none, eci (overflow onto them), eci_only.
    burst_resource: oneOf(['none', 'eci', 'eci_only'] as const),
    // The gateway addresses a group as /api/predict/<group>[.<service>]: a service name's rule.
    group: str({
      nonEmpty: true,
      check: (v) =>
        NAME_PATTERN.test(v)
          ? undefined
          : 'is not a valid group name; use letters, digits and "_", starting with a letter, e.g. "llm"',
    }),
  },
  { example: '{"instance": 1}' },
);

/** `rpc.proxy_path`: where an async service's instances receive queue items (EAS framework). */
function checkProxyPath(value: string): string | undefined {
  if (!value.startsWith('/')) return 'must start with "/", e.g. "/" or "/predict"';
  if (/[\s?#\\]|%|\/\.\.?(\/|$)/.test(value))
    return 'must be a plain path without spaces, "?", "#", "%", "\\" or dot segments';
  if (value.length > 256) return 'is longer than 256 characters';
  return undefined;
}

const queueSide = (maxLength: number) => ({
  max_length: num({ int: true, min: 1, max: 10_000_000, default: maxLength, example: maxLength }),
  max_payload_size_kb: num({ int: true, min: 1, max: 100 * 1024, default: 8 * 1024, unit: 'KiB', example: 1024 }),
  auto_evict: bool(false),
});

/** The optional `queue` block of an async service (field names as the EAS docs show them). */
export const queueSchema = obj(
  {
    source: obj({
      ...queueSide(10_000),
      max_delivery: num({ int: true, min: 1, max: 100, default: 5, example: 5 }),
    }),
    sink: obj(queueSide(10_000)),
  },
  { optional: true, example: '{"source": {"max_length": 10000}, "sink": {"max_length": 10000}}' },
);

/** `queue[avgbacklog]` is EAS's backlog metric of asynchronous services (`eascmd autoscale … -Dstrategies.queue[avgbacklog]=10`). */
export const METRICS = ['qps', 'qps1k', 'cpu', 'concurrency', 'gpu', 'queue[avgbacklog]'] as const;

/** The short form `"strategies": {"qps": 10, "cpu": 80}` (metric names in any case). */
const strategiesMap = documented(
  z.unknown().transform((raw, ctx) => {
    if (raw === undefined || raw === null) return undefined;
    if (!isPlainObject(raw)) {
      return issue(ctx, `strategies ${describe(raw)} must be an object of metric to threshold, e.g. {"qps": 10}`);
    }
    const out: Record<string, number> = {};
    for (const [key, value] of Object.entries(raw)) {
      const metric = METRICS.find((m) => m === key.toLowerCase());
      if (!metric) {
        issue(ctx, `metric ${describe(key)} is not known; use one of: ${METRICS.join(', ')}`, [key]);
        continue;
      }
      const n = toNumber(value);
      if (n === undefined || n <= 0 || n > MAX_THRESHOLD) {
        issue(
          ctx,
          `threshold ${describe(value)} for ${metric} is out of range; use a number > 0 and ≤ ${MAX_THRESHOLD}, e.g. 10`,
          [key],
        );
        continue;
      }
      out[metric] = n;
    }
    return out;
  }),
  {
    schema: {
      type: 'object',
      description: `metric to threshold, e.g. {"qps": 10}; metrics: ${METRICS.join(', ')}`,
      additionalProperties: numberSchema({ gt: 0, max: MAX_THRESHOLD }),
    },
  },
);

const scaleStrategy = obj(
  {
    metricName: oneOf(METRICS, { required: true }),
    threshold: num({ gt: 0, max: MAX_THRESHOLD, required: true, example: 10 }),
  },
  { example: '{"metricName": "qps", "threshold": 10}' },
);

const windowSeconds = (def: number) => num({ int: true, min: 0, max: 3600, default: def, unit: 'seconds' });

const behavior = obj(
  {
    scaleUp: obj({ stabilizationWindowSeconds: windowSeconds(0) }),
    scaleDown: obj({ stabilizationWindowSeconds: windowSeconds(300) }),
    onZero: obj({
      scaleDownGracePeriodSeconds: num({ int: true, min: 0, max: DAY, default: 600, unit: 'seconds' }),
      scaleUpActivationReplicas: num({ int: true, min: 1, max: MAX_INSTANCES, default: 1 }),
    }),
  },
  { example: '{"scaleDown": {"stabilizationWindowSeconds": 300}}' },
);

export const autoscalerSchema = obj(
  {
    min: num({ int: true, min: 0, max: MAX_INSTANCES, required: true, example: 1 }),
    max: num({ int: true, min: 1, max: MAX_INSTANCES, required: true, example: 10 }),
    scaleStrategies: list(scaleStrategy, {
      optional: true,
      max: 16,
      example: '[{"metricName": "qps", "threshold": 10}]',
    }),
    strategies: strategiesMap,
    behavior,
  },
  { optional: true, example: '{"min": 1, "max": 10, "scaleStrategies": [{"metricName": "qps", "threshold": 10}]}' },
  checkAutoscaler,
);

function checkAutoscaler(a: Record<string, unknown>, ctx: Ctx): void {
  const { min, max } = a;
  if (typeof min === 'number' && typeof max === 'number' && max < Math.max(min, 1)) {
    issue(ctx, `max ${max} is less than min ${min}; set max to at least ${Math.max(min, 1)}`, ['max']);
  }
  const list = Array.isArray(a.scaleStrategies) ? a.scaleStrategies : [];
  const short = isPlainObject(a.strategies) && isSet(a.strategies) ? Object.keys(a.strategies) : [];
  if (a.scaleStrategies !== undefined && a.strategies !== undefined) {
    issue(ctx, 'both scaleStrategies and strategies are given; keep one of them (they mean the same)', ['strategies']);
    return;
  }
  if (a.scaleStrategies === undefined && a.strategies === undefined) {
    issue(
      ctx,
      `autoscaler has no metric; add "scaleStrategies": [{"metricName": "qps", "threshold": 10}] (metrics: ${METRICS.join(', ')})`,
      ['scaleStrategies'],
    );
    return;
  }
  if (Array.isArray(a.scaleStrategies) && list.length === 0 && short.length === 0) {
    issue(ctx, 'scaleStrategies is empty; add at least one, e.g. {"metricName": "qps", "threshold": 10}', [
      'scaleStrategies',
    ]);
  }
  const seen = new Set<string>();
  list.forEach((s, i) => {
    const name = isPlainObject(s) ? s.metricName : undefined;
    if (typeof name !== 'string') return;
    if (seen.has(name))
      issue(ctx, `metricName ${name} appears twice; keep one threshold per metric`, [
        'scaleStrategies',
        i,
        'metricName',
      ]);
    seen.add(name);
  });
}

const scaleJob = obj(
  {
    name: str({ required: true, example: 'morning' }),
    schedule: str({ required: true, example: '0 8 * * *', check: checkCron }),
    targetSize: num({ int: true, min: 0, max: MAX_INSTANCES, required: true, example: 2 }),
  },
  { example: '{"name": "morning", "schedule": "0 8 * * *", "targetSize": 4}' },
);

export const cronscalerSchema = obj(
  {
    scaleJobs: list(
      scaleJob,
      { min: 1, max: 100, example: '[{"name": "morning", "schedule": "0 8 * * *", "targetSize": 4}]' },
      (jobs, ctx) => {
        const seen = new Set<string>();
        jobs.forEach((j, i) => {
          const name = isPlainObject(j) ? j.name : undefined;
          if (typeof name !== 'string') return;
          if (seen.has(name))
            issue(ctx, `job name ${describe(name)} appears twice; give each job its own name`, [i, 'name']);
          seen.add(name);
        });
      },
    ),
    excludeDates: list(str({ required: true }), { optional: true, max: 1000 }),
  },
  { optional: true },
);

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Secrets are never echoed back in messages (so their schema has no pattern an apiserver would quote them against). */
const dockerAuth = documented(
  z.unknown().transform((raw, ctx) => {
    if (raw === undefined || raw === null) return undefined;
    const fix = "give base64 of user:password, e.g. the output of printf 'user:password' | base64";
    if (typeof raw !== 'string') return issue(ctx, `dockerAuth must be a string; ${fix}`);
    const text = raw.trim();
    if (!BASE64.test(text) || text.length % 4 !== 0) return issue(ctx, `dockerAuth is not valid base64; ${fix}`);
    const decoded = Buffer.from(text, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0 || colon === decoded.length - 1) {
      return issue(ctx, `dockerAuth is base64 but does not decode to user:password; ${fix}`);
    }
    return text;
  }),
  { schema: { type: 'string', description: 'base64 of user:password for the image registry' } },
);

const token = documented(
  z.unknown().transform((raw, ctx) => {
    if (raw === undefined || raw === null) return undefined;
    if (typeof raw !== 'string')
      return issue(ctx, 'token must be a string of at least 8 characters; or remove it and Pier generates one');
    if (raw.length < 8) {
      return issue(
        ctx,
        `token is ${raw.length} character(s) long; use at least 8 (32 or more is better), or remove it and Pier generates one`,
      );
    }
    return raw;
  }),
  {
    schema: {
      type: 'string',
      description: 'the service token (at least 8 characters); Pier generates one when absent',
    },
  },
);

/** prepare() checks the name (name or metadata.name) before the schema runs. */
function serviceName() {
  return documented(str(), {
    schema: {
      type: 'string',
      description: '1–63 letters, digits and "_", starting with a letter',
      pattern: NAME_PATTERN.source,
      maxLength: 63,
    },
  });
}

export const specSchema = obj({
  name: serviceName(),
  metadata: metadataSchema,
  containers: containersSchema,
  storage: storageSchema,
  dockerAuth,
  token,
  autoscaler: autoscalerSchema,
  cronscaler: cronscalerSchema,
  queue: queueSchema,
});
