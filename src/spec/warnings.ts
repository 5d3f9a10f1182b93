/**
 * Warnings (rule 6 and the warn-and-ignore fields): every field the schema does not
 * know is kept and reported with its path; the known-field lists come from the
 * schema itself, so the two cannot drift apart.
 */

import { z } from 'zod';
import type { FieldError } from '../errors.js';
import { isPlainObject } from './coerce.js';
import { describe, formatPath, type PathSegment, suggest } from './format.js';
import { PROCESSOR_KEYS } from './prepare.js';

const LOCAL = 'is ignored by Pier on the local platform';

const CLOUD_ONLY = new Set([
  'cloud',
  'networking',
  'labels',
  'features',
  'unit',
  'sinker',
  'confidential',
  'options',
  'meta',
  'workspace_id',
  'metadata.resource',
  'metadata.region',
  'metadata.workspace_id',
  'metadata.resource_burstable',
  'metadata.quota_id',
  'metadata.cuda',
]);

const REASONS: Record<string, string> = {
  'metadata.gpu_memory':
    'GPU memory slicing is not enforced locally; Pier carries it to Kubernetes where a field exists',
  'metadata.gpu_core_percentage': 'GPU core sharing is not enforced locally',
  'metadata.disk': 'disk size is not enforced locally',
  'metadata.shm_size':
    'shared memory size is not enforced locally; Pier carries it to Kubernetes as a memory-backed /dev/shm',
  'metadata.qos': 'QoS classes are not enforced locally',
  'metadata.burst_resource':
    'elastic nodes exist only on Kubernetes (docs/kubernetes.md); locally every instance runs here',
  'metadata.rpc.batching': 'Pier does no server-side batching',
  'metadata.rpc.max_batch_size': 'Pier does no server-side batching',
  'metadata.rpc.max_batch_timeout': 'Pier does no server-side batching',
  'metadata.rpc.io_threads': 'the gateway sizes its own I/O',
  generate_token: 'Pier always creates a token for a service',
};

function unwrap(schema: z.ZodTypeAny): z.ZodTypeAny {
  let s = schema;
  for (;;) {
    if (s instanceof z.ZodEffects) s = s._def.schema;
    else if (s instanceof z.ZodPipeline) s = s._def.out;
    else if (s instanceof z.ZodOptional || s instanceof z.ZodNullable || s instanceof z.ZodDefault)
      s = s._def.innerType;
    else return s;
  }
}

function unknownField(path: PathSegment[], key: string, known: string[], hasContainers: boolean): FieldError {
  const at = formatPath([...path, key]);
  if (CLOUD_ONLY.has(at)) return { path: at, message: `${at} is a PAI-EAS cloud setting; it ${LOCAL}` };
  const reason = REASONS[at];
  if (reason) return { path: at, message: `${at} ${LOCAL}: ${reason}` };
  if (path.length === 0 && hasContainers && (PROCESSOR_KEYS as readonly string[]).includes(key)) {
    return { path: at, message: `${at} belongs to EAS built-in processors; with containers given it ${LOCAL}` };
  }
  const near = suggest(key, known);
  const hint = near ? ` (did you mean ${near}?)` : '';
  return { path: at, message: `${at} is not a field Pier knows; it is kept but ${LOCAL}${hint}` };
}

function walk(
  raw: unknown,
  schema: z.ZodTypeAny,
  path: PathSegment[],
  out: FieldError[],
  root: Record<string, unknown>,
) {
  const s = unwrap(schema);
  if (s instanceof z.ZodObject && isPlainObject(raw)) {
    const shape = s.shape as Record<string, z.ZodTypeAny>;
    const known = Object.keys(shape);
    for (const [key, value] of Object.entries(raw)) {
      if (Object.hasOwn(shape, key)) walk(value, shape[key], [...path, key], out, root);
      else out.push(unknownField(path, key, known, root.containers !== undefined));
    }
  } else if (s instanceof z.ZodArray && Array.isArray(raw)) {
    for (let i = 0; i < raw.length; i++) walk(raw[i], s.element, [...path, i], out, root);
  }
}

/** Warnings about fields Pier reads but does not act on yet. */
function semanticWarnings(spec: Record<string, unknown>, out: FieldError[]): void {
  const metadata = isPlainObject(spec.metadata) ? spec.metadata : {};
  if (typeof metadata.type === 'string' && metadata.type.toLowerCase() !== 'async') {
    out.push({
      path: 'metadata.type',
      message: `metadata.type ${describe(metadata.type)} is not a service type Pier knows; it ${LOCAL}`,
    });
  }
  const isAsync = typeof metadata.type === 'string' && metadata.type.toLowerCase() === 'async';
  if (spec.queue !== undefined && !isAsync) {
    out.push({ path: 'queue', message: `queue applies to asynchronous services (metadata.type "Async"); it ${LOCAL}` });
  }
  if (!Array.isArray(spec.containers)) return;
  spec.containers.forEach((c, i) => {
    if (!isPlainObject(c) || !Array.isArray(c.env)) return;
    const seen = new Set<string>();
    c.env.forEach((e, j) => {
      const name = isPlainObject(e) ? e.name : undefined;
      if (typeof name !== 'string') return;
      if (seen.has(name)) {
        out.push({ path: `containers[${i}].env[${j}].name`, message: `env ${name} is set twice; the last value wins` });
      }
      seen.add(name);
    });
  });
}

export function collectWarnings(spec: Record<string, unknown>, schema: z.ZodTypeAny): FieldError[] {
  const out: FieldError[] = [];
  walk(spec, schema, [], out, spec);
  semanticWarnings(spec, out);
  return out;
}
