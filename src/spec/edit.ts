/** Editing specs for `modify`: merge a partial spec, set a field by dotted path, hide secrets. */

import { PierError } from '../errors.js';
import { isPlainObject } from './coerce.js';
import { checkShape, FORBIDDEN_KEY, MAX_DEPTH } from './depth.js';
import type { ServiceSpec } from './types.js';

/** Dotted metadata keys moved into nesting where that loses nothing (so merges do not create clashes). */
function nestDotted(metadata: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const dotted: [string, unknown][] = [];
  for (const [k, v] of Object.entries(metadata)) {
    if (k.includes('.') && k.split('.').every((s) => s !== '')) dotted.push([k, v]);
    else out[k] = v;
  }
  for (const [key, value] of dotted) {
    const segs = key.split('.');
    let node = out;
    let ok = !segs.includes(FORBIDDEN_KEY);
    for (const seg of ok ? segs.slice(0, -1) : []) {
      if (!Object.hasOwn(node, seg)) node[seg] = {};
      if (!isPlainObject(node[seg])) {
        ok = false;
        break;
      }
      node = node[seg] as Record<string, unknown>;
    }
    const leaf = segs[segs.length - 1];
    if (ok && !Object.hasOwn(node, leaf)) node[leaf] = value;
    else out[key] = value; // keep it as written; validation explains the clash
  }
  return out;
}

function withNestedMetadata(spec: unknown): unknown {
  if (!isPlainObject(spec) || !isPlainObject(spec.metadata)) return spec;
  return { ...spec, metadata: nestDotted(spec.metadata) };
}

function merge(base: unknown, patch: unknown): unknown {
  if (patch === undefined) return structuredClone(base);
  if (!isPlainObject(base) || !isPlainObject(patch)) return structuredClone(patch);
  const out: Record<string, unknown> = structuredClone(base);
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = merge(out[key], value);
  }
  return out;
}

/**
 * A partial spec merged into a whole one: objects merge by key, lists replace,
 * `null` removes a field. Dotted metadata keys (`"rpc.keepalive"`) count as nesting.
 */
export function mergeSpec(base: unknown, patch: unknown): unknown {
  for (const [what, value] of [
    ['the spec', base],
    ['the change', patch],
  ] as const) {
    const shape = checkShape(value);
    if (shape) throw new PierError('BAD_REQUEST', `${what}: ${shape.message}`, { errors: [shape] });
  }
  return merge(withNestedMetadata(base), withNestedMetadata(patch));
}

type Segment = string | number;

export function parsePath(dottedPath: string): Segment[] {
  const segments: Segment[] = [];
  const parts = dottedPath.split('.');
  if (parts.length >= MAX_DEPTH) {
    throw new PierError(
      'BAD_REQUEST',
      `path ${JSON.stringify(dottedPath.slice(0, 60))}… has ${parts.length} levels; a spec has at most ${MAX_DEPTH} levels`,
    );
  }
  for (const part of parts) {
    if (part === FORBIDDEN_KEY) {
      throw new PierError(
        'BAD_REQUEST',
        `path ${JSON.stringify(dottedPath)} names "${FORBIDDEN_KEY}", which is not a field`,
      );
    }
    const m = /^([^[\]]+)((?:\[\d+\])*)$/.exec(part);
    if (!m) {
      throw new PierError(
        'BAD_REQUEST',
        `path ${JSON.stringify(dottedPath)} is not valid; write it like containers[0].port or metadata.rpc.keepalive`,
      );
    }
    segments.push(m[1]);
    for (const idx of m[2].matchAll(/\[(\d+)\]/g)) segments.push(Number(idx[1]));
  }
  return segments;
}

/**
 * A copy of `obj` with `value` at `dottedPath` (`containers[0].port`,
 * `metadata.rpc.keepalive`); missing objects and lists on the way are created.
 */
export function setPath(obj: unknown, dottedPath: string, value: unknown): unknown {
  const segments = parsePath(dottedPath);
  const root: unknown = obj === undefined || obj === null ? {} : structuredClone(obj);
  if (typeof root !== 'object' || root === null) {
    throw new PierError('BAD_REQUEST', `cannot set ${dottedPath}: the spec is not an object`);
  }
  let node = root as Record<string | number, unknown>;
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i];
    const rest = segments.slice(i);
    if (!Array.isArray(node) && rest.length > 1 && rest.every((s) => typeof s === 'string')) {
      // The same field written as a dotted key (`"rpc.keepalive"`) would clash with the new value.
      delete node[rest.join('.')];
    }
    if (Array.isArray(node) && (typeof seg !== 'number' || seg > node.length)) {
      throw new PierError(
        'BAD_REQUEST',
        `cannot set ${dottedPath}: index ${String(seg)} is outside the list (length ${node.length})`,
      );
    }
    if (i === segments.length - 1) {
      node[seg] = value;
      break;
    }
    const next = segments[i + 1];
    const child = Object.hasOwn(node, seg) ? node[seg] : undefined;
    if (child === undefined || child === null) node[seg] = typeof next === 'number' ? [] : {};
    else if (typeof child !== 'object') {
      throw new PierError(
        'BAD_REQUEST',
        `cannot set ${dottedPath}: ${String(seg)} holds ${JSON.stringify(child)}, not an object`,
      );
    }
    node = node[seg] as Record<string | number, unknown>;
  }
  return root;
}

/** A `-D` value: JSON where it parses (`3`, `true`, `{"a":1}`), else the text itself. */
export function parseSetValue(raw: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return raw;
  }
  const shape = checkShape(value);
  if (shape)
    throw new PierError(
      'BAD_REQUEST',
      `the value ${shape.path ? `at ${shape.path} ` : ''}is not allowed: ${shape.message}`,
    );
  return value;
}

/** The spec with secrets (dockerAuth, token) shown as `***`. */
export function redactSpec(spec: ServiceSpec): ServiceSpec {
  const out = structuredClone(spec);
  if (out.dockerAuth !== undefined) out.dockerAuth = '***';
  if (out.token !== undefined) out.token = '***';
  return out;
}
