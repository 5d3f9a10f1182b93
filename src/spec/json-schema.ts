/**
 * The spec's shape as JSON Schema, read from the zod schema itself so the two cannot
 * drift apart. Objects and lists come from the zod tree (as the warnings walk reads
 * it); every leaf is a lenient transform zod cannot describe, so the field builders
 * (fields.ts) register what each accepts with `documented`.
 *
 * The schema is deliberately a superset of what the validator accepts: anything
 * `pier validate` takes must pass it. It holds types, ranges, patterns and required
 * fields; cross-field rules (one probe handler, ports that differ, names that match)
 * stay with the validator.
 */

import { z } from 'zod';

export type JsonType = 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';

/** The subset of JSON Schema (draft 2020-12) the spec uses. */
export interface JsonSchema {
  type?: JsonType | JsonType[];
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  /** `true`: fields the schema does not name pass through (EAS fields Pier ignores). */
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  /** ECMA-262 and RE2 at once: no lookaround, no backreferences, no inline flags. */
  pattern?: string;
  minimum?: number;
  exclusiveMinimum?: number;
  maximum?: number;
  enum?: (string | number | boolean)[];
}

/** What a field builder registers: its schema, and whether its parent must have it. */
export interface FieldDoc {
  schema: JsonSchema;
  required?: boolean;
}

export class SchemaExportError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path || '(root)'}: ${message}`);
    this.name = 'SchemaExportError';
  }
}

/** Where a field's doc lives: on its zod schema object itself, as zod keeps a `.describe()` text. */
const FIELD_DOC = Symbol('pier.fieldDoc');
type Documented = z.ZodTypeAny & { [FIELD_DOC]?: FieldDoc };

/** Attaches what `schema` accepts to it; returns it, so builders can `return documented(z..., doc)`. */
export function documented<T extends z.ZodTypeAny>(schema: T, doc: FieldDoc): T {
  Object.defineProperty(schema, FIELD_DOC, { value: doc, enumerable: false, configurable: true });
  return schema;
}

/** Surrounding ASCII whitespace, as the validator trims it. */
export const trimmed = (body: string) => `^\\s*(${body})\\s*$`;
/** A numeral as `toNumber` reads it (coerce.ts). */
export const NUMERAL = '[+-]?(\\d+(\\.\\d*)?|\\.\\d+)([eE][+-]?\\d+)?';

/** `abc` → `[Aa][Bb][Cc]`: case-insensitive without an inline flag; other characters escaped. */
export function anyCase(word: string): string {
  return [...word]
    .map((ch) => {
      const lower = ch.toLowerCase();
      const upper = ch.toUpperCase();
      if (lower !== upper) return `[${upper}${lower}]`;
      return /[\\^$.|?*+()[\]{}-]/.test(ch) ? `\\${ch}` : ch;
    })
    .join('');
}

function inner(schema: z.ZodTypeAny): z.ZodTypeAny | undefined {
  if (schema instanceof z.ZodPipeline) return schema._def.out;
  if (schema instanceof z.ZodEffects) return schema._def.schema;
  if (schema instanceof z.ZodOptional || schema instanceof z.ZodNullable || schema instanceof z.ZodDefault)
    return schema._def.innerType;
  return undefined;
}

/** The first object or list along the wrappers (obj() and list() pipe a check into one). */
function container(schema: z.ZodTypeAny): z.ZodTypeAny | undefined {
  for (let s: z.ZodTypeAny | undefined = schema; s; s = inner(s)) {
    if (s instanceof z.ZodObject || s instanceof z.ZodArray) return s;
  }
  return undefined;
}

function describeNode(schema: z.ZodTypeAny, path: string): FieldDoc {
  const own = (schema as Documented)[FIELD_DOC];
  const node = container(schema);
  if (node instanceof z.ZodObject) {
    const properties: Record<string, JsonSchema> = {};
    const required: string[] = [];
    for (const [key, child] of Object.entries(node.shape as Record<string, z.ZodTypeAny>)) {
      const doc = describeNode(child, path ? `${path}.${key}` : key);
      properties[key] = doc.schema;
      if (doc.required) required.push(key);
    }
    const out: JsonSchema = { type: 'object', ...own?.schema, properties, additionalProperties: true };
    if (required.length > 0) out.required = required;
    return { schema: out, required: own?.required };
  }
  if (node instanceof z.ZodArray) {
    const items = describeNode(node.element, `${path}[]`).schema;
    return { schema: { type: 'array', ...own?.schema, items }, required: own?.required };
  }
  if (own) return own;
  throw new SchemaExportError(path, 'a field whose builder registered no schema (wrap it with documented())');
}

/** The JSON Schema of a spec schema built from fields.ts (`specSchema` for the whole spec). */
export function toJsonSchema(schema: z.ZodTypeAny): JsonSchema {
  return describeNode(schema, '').schema;
}
