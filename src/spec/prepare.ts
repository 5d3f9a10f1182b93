/**
 * Before the schema: find the service name (rule 1), turn dotted metadata keys into
 * nesting (rule 4) and recognise processor-based specs (rule 7).
 */

import type { FieldError } from '../errors.js';
import { isPlainObject, looseEqual } from './coerce.js';
import { FORBIDDEN_KEY, forbiddenKeyMessage } from './depth.js';
import { describe } from './format.js';

export const NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_]*$/;

export const PROCESSOR_KEYS = [
  'processor',
  'processor_type',
  'processor_path',
  'processor_entry',
  'model_path',
  'model_entry',
  'model_config',
] as const;

export interface Prepared {
  /** A deep copy of the input with dotted metadata keys nested and the name in both places. */
  value?: Record<string, unknown>;
  /** The name as written, when it is a string (even if invalid). */
  name?: string;
  errors: FieldError[];
  /** True when the schema must not run (not an object, or a processor spec). */
  stop: boolean;
}

function suggestName(name: string): string {
  let s = name.replace(/[^A-Za-z0-9_]/g, '_');
  if (!/^[A-Za-z]/.test(s)) s = `svc_${s}`;
  return s.slice(0, 63);
}

export function checkName(name: unknown, path: string): FieldError | undefined {
  const rule = '1–63 characters: letters, digits and "_", starting with a letter';
  if (typeof name !== 'string')
    return { path, message: `${path} ${describe(name)} is not a string; use ${rule}, e.g. "my_model"` };
  if (name.length === 0) return { path, message: `${path} is empty; use ${rule}, e.g. "my_model"` };
  if (name.length > 63) {
    return {
      path,
      message: `${path} is ${name.length} characters long; use ${rule}, e.g. ${describe(suggestName(name))}`,
    };
  }
  if (!NAME_PATTERN.test(name)) {
    return {
      path,
      message: `${path} ${describe(name)} is not allowed; use ${rule}, e.g. ${describe(suggestName(name))}`,
    };
  }
  return undefined;
}

function processorError(spec: Record<string, unknown>, key: string): FieldError {
  const example =
    '"containers": [{"image": "registry.example.com/team/model-server:1", "command": "python3 app.py", "port": 8000}]';
  const mount = '"storage": [{"mount_path": "/models", "oss": {"path": "oss://bucket/model/"}}]';
  return {
    path: key,
    message: `${key} ${describe(spec[key])} selects an EAS built-in processor, which Pier does not support; run your model server as a container instead: ${example}, and mount the model with ${mount}`,
  };
}

/** Sets `value` at `segments` under `target`, reporting a clash with a value already there. */
function mergeDotted(
  target: Record<string, unknown>,
  segments: string[],
  value: unknown,
  dottedKey: string,
  errors: FieldError[],
): void {
  // Own fields only: "constructor.x" must not find Object's constructor.
  const own = (o: Record<string, unknown>, key: string) => (Object.hasOwn(o, key) ? o[key] : undefined);
  let node = target;
  for (let i = 0; i < segments.length - 1; i++) {
    const seg = segments[i];
    const next = own(node, seg);
    if (next === undefined) node[seg] = {};
    else if (!isPlainObject(next)) {
      const at = `metadata.${segments.slice(0, i + 1).join('.')}`;
      errors.push({
        path: at,
        message: `metadata."${dottedKey}" needs ${at} to be an object, but it is ${describe(next)}; write the field once, nested under ${at}`,
      });
      return;
    }
    node = node[seg] as Record<string, unknown>;
  }
  const leaf = segments[segments.length - 1];
  const existing = own(node, leaf);
  if (existing === undefined) {
    node[leaf] = value;
  } else if (isPlainObject(existing) && isPlainObject(value)) {
    for (const [k, v] of Object.entries(value)) mergeDotted(node, [leaf, k], v, dottedKey, errors);
  } else if (!looseEqual(existing, value)) {
    const at = `metadata.${segments.join('.')}`;
    errors.push({
      path: at,
      message: `metadata."${dottedKey}" is ${describe(value)} but ${at} is ${describe(existing)}; they mean the same field, so keep only one`,
    });
  }
}

function expandMetadata(metadata: Record<string, unknown>, errors: FieldError[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const dotted: [string, unknown][] = [];
  for (const [key, value] of Object.entries(metadata)) {
    const segments = key.split('.');
    if (segments.includes(FORBIDDEN_KEY)) {
      errors.push({
        path: `metadata.${key.length > 60 ? `${key.slice(0, 59)}…` : key}`,
        message: forbiddenKeyMessage(),
      });
    } else if (segments.length > 1 && segments.every((s) => s !== '')) dotted.push([key, value]);
    else out[key] = value;
  }
  for (const [key, value] of dotted) mergeDotted(out, key.split('.'), value, key, errors);
  return out;
}

export function prepare(input: unknown): Prepared {
  if (!isPlainObject(input)) {
    return {
      errors: [
        {
          path: '',
          message: `a service spec is a JSON object such as {"name": "my_model", "containers": [{"command": "python3 app.py", "port": 8000}]}, found ${describe(input)}`,
        },
      ],
      stop: true,
    };
  }
  const errors: FieldError[] = [];
  const spec = structuredClone(input);
  if (isPlainObject(spec.metadata)) spec.metadata = expandMetadata(spec.metadata, errors);
  const metadata = isPlainObject(spec.metadata) ? spec.metadata : undefined;

  const top = spec.name;
  const inMeta = metadata?.name;
  let chosen: unknown;
  let chosenPath = 'name';
  if (top !== undefined && inMeta !== undefined && top !== inMeta) {
    errors.push({
      path: 'metadata.name',
      message: `metadata.name ${describe(inMeta)} differs from name ${describe(top)}; give the name once (name or metadata.name) or make both the same`,
    });
  }
  if (top !== undefined) chosen = top;
  else if (inMeta !== undefined) {
    chosen = inMeta;
    chosenPath = 'metadata.name';
  }
  const name = typeof chosen === 'string' ? chosen : undefined;
  if (chosen === undefined) {
    errors.push({ path: 'name', message: 'the service has no name; add "name": "my_model" (or metadata.name)' });
  } else {
    const problem = checkName(chosen, chosenPath);
    if (problem) errors.push(problem);
    else {
      spec.name = chosen;
      if (metadata) metadata.name = chosen;
    }
  }
  if (errors.some((e) => e.path === 'name' || e.path === 'metadata.name')) {
    // Reported here once; keep the schema from reporting the same field again.
    delete spec.name;
    if (metadata) delete metadata.name;
  }

  if (spec.containers === undefined) {
    const key = PROCESSOR_KEYS.find((k) => spec[k] !== undefined);
    if (key) return { value: spec, name, errors: [...errors, processorError(spec, key)], stop: true };
  }
  return { value: spec, name, errors, stop: false };
}
