/**
 * The EAS-compatible spec: parse (JSON/YAML), normalize and validate, with
 * path-precise errors; plus the edits and comparisons `modify` needs.
 */

import { type JsonSchema, toJsonSchema } from './json-schema.js';
import { type ParseOptions, parseSpecText } from './parse.js';
import { specSchema } from './schema.js';
import type { ValidationResult } from './types.js';
import { validateSpec } from './validate.js';

export type * from './types.js';
export type { SpecChange } from './diff.js';
export type { ParseOptions, ParseResult } from './parse.js';
export type { JsonSchema, JsonType } from './json-schema.js';

export { deepEqual } from './coerce.js';
export { capErrors, checkShape, MAX_DEPTH, MAX_ERRORS } from './depth.js';
export { diffSpecs, isScaleOnlyChange, summarizeChange } from './diff.js';
export { mergeSpec, parseSetValue, redactSpec, setPath } from './edit.js';
export { lineColumn, scanJson } from './json-scan.js';
export { parseSpecText } from './parse.js';
export { HEALTH_CHECK_DEFAULTS, PROBE_DEFAULTS } from './probe.js';
export { dnsLabel, resolveRollingStrategy, servingContainer } from './rollout.js';
export { SPEC_DEFAULTS } from './schema.js';
export { validateSpec } from './validate.js';

/** Parse and validate in one step; parse warnings come first. */
export function loadSpecText(text: string, opts: ParseOptions = {}): ValidationResult {
  const parsed = parseSpecText(text, opts);
  if (parsed.errors.length > 0) return { ok: false, errors: parsed.errors, warnings: parsed.warnings };
  const result = validateSpec(parsed.value);
  return { ...result, warnings: [...parsed.warnings, ...result.warnings] };
}

/** `metadata.type: "Async"` (any case): the service is fed from its input queue (src/queue). */
export function isAsyncService(spec: { metadata: { type?: string } }): boolean {
  return spec.metadata.type?.toLowerCase() === 'async';
}

/** The spec's shape as JSON Schema, generated from the validator's own schema (json-schema.ts). */
export function specJsonSchema(): JsonSchema {
  return toJsonSchema(specSchema);
}
