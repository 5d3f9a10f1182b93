/**
 * JSON Schema (src/spec/json-schema.ts) → the structural OpenAPI v3 schema a
 * CustomResourceDefinition takes
 * (https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/#specifying-a-structural-schema):
 * a type on every node, no $ref, no additionalProperties beside properties, no
 * types inside anyOf/oneOf. The lenient scalars of EAS specs ("3" for 3, "true" for
 * true) have two JSON types; Kubernetes has one word for integer-or-string
 * (x-kubernetes-int-or-string) and none for the others, so those nodes keep any
 * value (x-kubernetes-preserve-unknown-fields) and their pattern and bounds, which
 * the apiserver applies to the strings and numbers among them. Objects whose
 * unknown fields pass through (EAS fields Pier ignores) keep them the same way;
 * their known fields are still typed.
 */

import type { JsonSchema, JsonType } from '../../../spec/json-schema.js';

export interface OpenApiSchema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  description?: string;
  properties?: Record<string, OpenApiSchema>;
  required?: string[];
  additionalProperties?: OpenApiSchema;
  items?: OpenApiSchema;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minimum?: number;
  exclusiveMinimum?: boolean;
  maximum?: number;
  enum?: (string | number | boolean)[];
  'x-kubernetes-int-or-string'?: true;
  'x-kubernetes-preserve-unknown-fields'?: true;
}

export class StructuralSchemaError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path || '(root)'}: ${message}`);
    this.name = 'StructuralSchemaError';
  }
}

const KNOWN = new Set<keyof JsonSchema>([
  'type',
  'description',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'minItems',
  'maxItems',
  'minLength',
  'maxLength',
  'pattern',
  'minimum',
  'exclusiveMinimum',
  'maximum',
  'enum',
]);

/** The keywords that constrain a scalar; on an untyped node the apiserver checks each on the values it fits. */
function scalarKeywords(s: JsonSchema, out: OpenApiSchema): void {
  if (s.pattern !== undefined) out.pattern = s.pattern;
  if (s.minLength !== undefined) out.minLength = s.minLength;
  if (s.maxLength !== undefined) out.maxLength = s.maxLength;
  if (s.enum !== undefined) out.enum = s.enum;
  if (s.exclusiveMinimum !== undefined) {
    // OpenAPI 3.0 writes an exclusive bound as minimum + exclusiveMinimum: true.
    if (s.minimum !== undefined && s.minimum > s.exclusiveMinimum) out.minimum = s.minimum;
    else {
      out.minimum = s.exclusiveMinimum;
      out.exclusiveMinimum = true;
    }
  } else if (s.minimum !== undefined) out.minimum = s.minimum;
  if (s.maximum !== undefined) out.maximum = s.maximum;
}

function types(s: JsonSchema, path: string): JsonType[] {
  if (s.type === undefined) throw new StructuralSchemaError(path, 'a node without a type');
  const list = Array.isArray(s.type) ? s.type : [s.type];
  if (list.length === 0) throw new StructuralSchemaError(path, 'an empty type list');
  return list;
}

function convert(s: JsonSchema, path: string): OpenApiSchema {
  for (const key of Object.keys(s)) {
    if (!KNOWN.has(key as keyof JsonSchema)) throw new StructuralSchemaError(path, `keyword ${key} has no conversion`);
  }
  const list = types(s, path);
  const out: OpenApiSchema = {};
  if (s.description !== undefined) out.description = s.description;
  if (list.length > 1) {
    const set = new Set(list);
    if (set.size === 2 && set.has('integer') && set.has('string')) out['x-kubernetes-int-or-string'] = true;
    else out['x-kubernetes-preserve-unknown-fields'] = true;
    scalarKeywords(s, out);
    return out;
  }
  const [type] = list;
  out.type = type;
  if (type === 'object') {
    if (s.properties) {
      out.properties = Object.fromEntries(
        Object.entries(s.properties).map(([k, v]) => [k, convert(v, path ? `${path}.${k}` : k)]),
      );
    }
    if (s.required?.length) out.required = [...s.required];
    const extra = s.additionalProperties;
    if (extra === true) out['x-kubernetes-preserve-unknown-fields'] = true;
    else if (extra && typeof extra === 'object') {
      if (s.properties) throw new StructuralSchemaError(path, 'additionalProperties beside properties');
      out.additionalProperties = convert(extra, `${path}.*`);
    } else if (!s.properties) out['x-kubernetes-preserve-unknown-fields'] = true;
    return out;
  }
  if (type === 'array') {
    if (!s.items) throw new StructuralSchemaError(path, 'an array without items');
    out.items = convert(s.items, `${path}[]`);
    if (s.minItems !== undefined) out.minItems = s.minItems;
    if (s.maxItems !== undefined) out.maxItems = s.maxItems;
    return out;
  }
  scalarKeywords(s, out);
  return out;
}

/** The structural schema of `schema`; throws StructuralSchemaError for what a CRD cannot hold. */
export function structuralSchema(schema: JsonSchema): OpenApiSchema {
  return convert(schema, '');
}
