/** validateSpec: prepare → schema (shape, defaults, per-field rules) → cross-field rules, all errors at once. */

import type { FieldError } from '../errors.js';
import { isPlainObject } from './coerce.js';
import { capErrors, checkShape } from './depth.js';
import { formatPath } from './format.js';
import { prepare } from './prepare.js';
import { specSchema } from './schema.js';
import type { ScaleStrategy, ServiceSpec, ValidationResult } from './types.js';
import { collectWarnings } from './warnings.js';

function unique(errors: FieldError[]): FieldError[] {
  const seen = new Set<string>();
  return capErrors(
    errors.filter((e) => {
      const key = `${e.path}\u0000${e.message}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    }),
  );
}

/** The last touches the schema cannot make without aborting on a partly invalid spec. */
function finish(data: Record<string, unknown>): ServiceSpec {
  const spec = data as ServiceSpec;
  spec.metadata.name = spec.name;
  const autoscaler = spec.autoscaler;
  if (autoscaler && isPlainObject(autoscaler.strategies)) {
    const short = autoscaler.strategies as Record<string, number>;
    autoscaler.scaleStrategies = Object.entries(short).map(
      ([metricName, threshold]) => ({ metricName, threshold }) as ScaleStrategy,
    );
    delete autoscaler.strategies;
  }
  return spec;
}

/** `queue[avgbacklog]` counts an input queue, which only an asynchronous service has. */
function backlogOnSyncService(spec: ServiceSpec, raw: Record<string, unknown>): FieldError[] {
  if (!spec.autoscaler || spec.metadata.type?.toLowerCase() === 'async') return [];
  const short = isPlainObject(raw.autoscaler) && isPlainObject(raw.autoscaler.strategies);
  const out: FieldError[] = [];
  spec.autoscaler.scaleStrategies.forEach((s, i) => {
    if (s.metricName !== 'queue[avgbacklog]') return;
    const path = short
      ? formatPath(['autoscaler', 'strategies', s.metricName])
      : formatPath(['autoscaler', 'scaleStrategies', i, 'metricName']);
    out.push({
      path,
      message:
        'queue[avgbacklog] scales on the input queue of an asynchronous service; set metadata.type to "Async" or use qps, concurrency or cpu',
    });
  });
  return out;
}

export function validateSpec(input: unknown): ValidationResult {
  // Before anything recursive runs (structuredClone in prepare, zod, the warnings walk).
  const shape = checkShape(input);
  if (shape) return { ok: false, errors: [shape], warnings: [] };
  const prepared = prepare(input);
  const errors = [...prepared.errors];
  const name = prepared.name;
  const base = name === undefined ? {} : { name };
  if (prepared.stop || !prepared.value) return { ok: false, ...base, errors: unique(errors), warnings: [] };
  // Dotted metadata keys are nesting too.
  const expanded = checkShape(prepared.value);
  if (expanded) return { ok: false, ...base, errors: unique([...errors, expanded]), warnings: [] };

  const warnings = collectWarnings(prepared.value, specSchema);
  const parsed = specSchema.safeParse(prepared.value);
  if (!parsed.success) {
    for (const i of parsed.error.issues) errors.push({ path: formatPath(i.path), message: i.message });
  }
  if (errors.length > 0 || !parsed.success) return { ok: false, ...base, errors: unique(errors), warnings };
  const spec = finish(parsed.data as Record<string, unknown>);
  const cross = backlogOnSyncService(spec, prepared.value);
  if (cross.length > 0) return { ok: false, ...base, errors: cross, warnings };
  return { ok: true, ...base, errors: [], warnings, spec };
}
