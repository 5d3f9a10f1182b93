/**
 * Zod building blocks for spec fields. Every leaf is `z.unknown().transform(...)`
 * so a bad value adds an issue but never aborts the parent object: the parent's
 * cross-field rules still run and the user sees every mistake at once.
 */

import { z } from 'zod';
import { isPlainObject, toBoolean, toNumber } from './coerce.js';
import { describe, fieldName, type PathSegment } from './format.js';
import { anyCase, documented, type JsonSchema, NUMERAL, trimmed } from './json-schema.js';

export type Ctx = z.RefinementCtx;

/** Adds an error (relative `path` optional) and returns the value zod treats as "no value". */
export function issue(ctx: Ctx, message: string, path?: PathSegment[]): never {
  ctx.addIssue({ code: z.ZodIssueCode.custom, message, ...(path ? { path } : {}) });
  return z.NEVER;
}

export interface NumberRule {
  int?: boolean;
  min?: number;
  /** Strictly greater than. */
  gt?: number;
  max?: number;
  default?: number;
  required?: boolean;
  /** 0 means "use the default" (Kubernetes probe timing fields). */
  zeroIsDefault?: boolean;
  example?: number;
  unit?: string;
}

export function allowedNumber(rule: NumberRule): string {
  const kind = rule.int ? 'an integer' : 'a number';
  const unit = rule.unit ? ` (${rule.unit})` : '';
  if (rule.min !== undefined && rule.max !== undefined) return `${kind} from ${rule.min} to ${rule.max}${unit}`;
  if (rule.gt !== undefined && rule.max !== undefined) return `${kind} > ${rule.gt} and ≤ ${rule.max}${unit}`;
  if (rule.gt !== undefined) return `${kind} > ${rule.gt}${unit}`;
  if (rule.min !== undefined) return `${kind} ≥ ${rule.min}${unit}`;
  return kind + unit;
}

function exampleOf(rule: NumberRule): number {
  return rule.example ?? rule.default ?? rule.min ?? (rule.gt !== undefined ? rule.gt + 1 : 1);
}

export function readNumber(raw: unknown, ctx: Ctx, rule: NumberRule): number | undefined {
  const name = fieldName(ctx.path);
  const fix = `use ${allowedNumber(rule)}, e.g. ${exampleOf(rule)}`;
  if (raw === undefined || raw === null) {
    if (rule.required) return issue(ctx, `${name} is required; ${fix}`);
    return rule.default;
  }
  const n = toNumber(raw);
  if (n === undefined) return issue(ctx, `${name} ${describe(raw)} is not a number; ${fix}`);
  if (rule.zeroIsDefault && n === 0 && rule.default !== undefined) return rule.default;
  if (rule.int && !Number.isInteger(n)) return issue(ctx, `${name} ${describe(raw)} is not a whole number; ${fix}`);
  const low = (rule.min !== undefined && n < rule.min) || (rule.gt !== undefined && n <= rule.gt);
  const high = rule.max !== undefined && n > rule.max;
  if (low || high) return issue(ctx, `${name} ${describe(raw)} is out of range; ${fix}`);
  return n;
}

/** What readNumber accepts: the number, or a numeral string; 0 too where it means the default. */
export function numberSchema(rule: NumberRule): JsonSchema {
  const schema: JsonSchema = {
    type: [rule.int ? 'integer' : 'number', 'string'],
    description: `${allowedNumber(rule)}, or the same as a string`,
    pattern: trimmed(NUMERAL),
  };
  const zeroAllowed = rule.zeroIsDefault && rule.default !== undefined;
  if (rule.min !== undefined) schema.minimum = zeroAllowed ? Math.min(rule.min, 0) : rule.min;
  if (rule.gt !== undefined) schema.exclusiveMinimum = rule.gt;
  if (rule.max !== undefined) schema.maximum = rule.max;
  return schema;
}

export function num(rule: NumberRule = {}) {
  return documented(
    z.unknown().transform((raw, ctx) => readNumber(raw, ctx, rule)),
    { schema: numberSchema(rule), required: rule.required },
  );
}

export const RESERVED_PORTS = [8080, 9090] as const;

/** A TCP port 1–65535 that is not one of the ports EAS keeps for its sidecar. */
export function port(required = true) {
  const rule = { int: true, min: 1, max: 65535, required, example: 8000 };
  const schema = numberSchema(rule);
  schema.description = `a TCP port from 1 to 65535 but 8080 and 9090 (the EAS sidecar's), or the same as a string`;
  return documented(
    z.unknown().transform((raw, ctx) => {
      const n = readNumber(raw, ctx, rule);
      if (n !== undefined && (RESERVED_PORTS as readonly number[]).includes(n)) {
        return issue(
          ctx,
          `${fieldName(ctx.path)} ${n} is reserved by EAS for its sidecar (8080 and 9090); use another port such as 8000`,
        );
      }
      return n;
    }),
    { schema, required },
  );
}

const BOOLEAN_SCHEMA: JsonSchema = {
  type: ['boolean', 'string'],
  description: 'true or false, or the same as a string in any case',
  pattern: trimmed(`${anyCase('true')}|${anyCase('false')}`),
};

export function bool(defaultValue?: boolean) {
  return documented(
    z.unknown().transform((raw, ctx) => {
      if (raw === undefined || raw === null) return defaultValue;
      const b = toBoolean(raw);
      if (b === undefined) {
        return issue(
          ctx,
          `${fieldName(ctx.path)} ${describe(raw)} is not a boolean; allowed values: true, false (or the strings "true", "false" in any case)`,
        );
      }
      return b;
    }),
    { schema: BOOLEAN_SCHEMA },
  );
}

export interface StringRule {
  required?: boolean;
  nonEmpty?: boolean;
  /** Numbers and booleans become strings (env values). */
  coerce?: boolean;
  default?: string;
  example?: string;
  /** How the message names the field (default: its key). */
  label?: string;
  check?: (value: string) => string | undefined;
}

function stringSchema(rule: StringRule): JsonSchema {
  const schema: JsonSchema = rule.coerce
    ? { type: ['string', 'number', 'boolean'], description: 'a string (a number or boolean is read as its text)' }
    : { type: 'string' };
  if (rule.nonEmpty || rule.required) schema.minLength = 1;
  return schema;
}

export function str(rule: StringRule = {}) {
  return documented(
    z.unknown().transform((raw, ctx) => {
      const name = rule.label ?? fieldName(ctx.path);
      const eg = rule.example ? `, e.g. ${JSON.stringify(rule.example)}` : '';
      if (raw === undefined || raw === null) {
        if (rule.required) return issue(ctx, `${name} is required; give it as a string${eg}`);
        return rule.default;
      }
      let value: string;
      if (typeof raw === 'string') value = raw;
      else if (rule.coerce && (typeof raw === 'number' || typeof raw === 'boolean')) value = String(raw);
      else return issue(ctx, `${name} ${describe(raw)} is not a string; write it in quotes${eg}`);
      if ((rule.nonEmpty || rule.required) && value.trim() === '') {
        return issue(ctx, `${name} is empty; give a non-empty string${eg}`);
      }
      const problem = rule.check?.(value);
      if (problem) return issue(ctx, `${name} ${describe(raw)} ${problem}`);
      return value;
    }),
    { schema: stringSchema(rule), required: rule.required },
  );
}

/** One of a fixed set of strings, matched without regard to case. */
export function oneOf<T extends string>(values: readonly T[], rule: { default?: T; required?: boolean } = {}) {
  const schema: JsonSchema = {
    type: 'string',
    description: `one of: ${values.join(', ')} (any case)`,
    pattern: trimmed(values.map(anyCase).join('|')),
  };
  return documented(
    z.unknown().transform((raw, ctx) => {
      const allowed = `use one of: ${values.join(', ')}`;
      if (raw === undefined || raw === null) {
        if (rule.required) return issue(ctx, `${fieldName(ctx.path)} is required; ${allowed}`);
        return rule.default;
      }
      const found =
        typeof raw === 'string' ? values.find((v) => v.toLowerCase() === raw.trim().toLowerCase()) : undefined;
      if (found === undefined) return issue(ctx, `${fieldName(ctx.path)} ${describe(raw)} is not allowed; ${allowed}`);
      return found;
    }),
    { schema, required: rule.required },
  );
}

export interface ContainerRule {
  /** Absent (or null) becomes undefined instead of the empty container. */
  optional?: boolean;
  example?: string;
}

/** An object whose known fields follow `shape`; unknown fields pass through unchanged. */
export function obj<T extends z.ZodRawShape>(
  shape: T,
  rule: ContainerRule = {},
  refine?: (value: Record<string, unknown>, ctx: Ctx) => void,
) {
  let inner: z.ZodTypeAny = z.object(shape).passthrough();
  if (refine) inner = inner.superRefine((v, ctx) => refine(v as Record<string, unknown>, ctx));
  return z
    .unknown()
    .transform((raw, ctx) => {
      if (raw === undefined || raw === null) return rule.optional ? undefined : {};
      if (!isPlainObject(raw)) {
        const eg = rule.example ? ` such as ${rule.example}` : '';
        return issue(ctx, `${fieldName(ctx.path)} must be an object${eg}, found ${describe(raw)}`);
      }
      return raw;
    })
    .pipe(rule.optional ? inner.optional() : inner);
}

export interface ListRule {
  optional?: boolean;
  min?: number;
  /** Checked before the items, so a huge list costs one error, not one per item. */
  max?: number;
  example?: string;
}

export function list(item: z.ZodTypeAny, rule: ListRule = {}, refine?: (value: unknown[], ctx: Ctx) => void) {
  let inner: z.ZodTypeAny = z.array(item);
  if (refine) inner = inner.superRefine((v, ctx) => refine(v as unknown[], ctx));
  const schema: JsonSchema = {};
  if (rule.min) schema.minItems = rule.min;
  if (rule.max !== undefined) schema.maxItems = rule.max;
  const built = z
    .unknown()
    .transform((raw, ctx) => {
      const name = fieldName(ctx.path);
      const eg = rule.example ? `, e.g. ${rule.example}` : '';
      if (raw === undefined || raw === null) {
        if (rule.min) return issue(ctx, `${name} is required: a list with at least ${rule.min} item(s)${eg}`);
        return rule.optional ? undefined : [];
      }
      if (!Array.isArray(raw)) return issue(ctx, `${name} must be a list${eg}, found ${describe(raw)}`);
      if (rule.min && raw.length < rule.min) {
        return issue(ctx, `${name} has ${raw.length} item(s); at least ${rule.min} needed${eg}`);
      }
      if (rule.max !== undefined && raw.length > rule.max) {
        return issue(ctx, `${name} has ${raw.length} items; at most ${rule.max} are allowed, so remove some`);
      }
      return raw;
    })
    .pipe(rule.optional ? inner.optional() : inner);
  // Absent is "at least min items" missing: the parent must have it.
  return documented(built, { schema, required: Boolean(rule.min) });
}

/** True when a refined value is a real value, not the marker of a field that failed. */
export function isSet(value: unknown): boolean {
  return (
    value !== undefined && !(isPlainObject(value) && value.status === 'aborted' && Object.keys(value).length === 1)
  );
}
