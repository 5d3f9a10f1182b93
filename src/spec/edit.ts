/** Editing specs for `modify`: merge a partial spec, set a field by dotted path, hide secrets. */

import { PierError } from '../errors.js';
import { isPlainObject } from './coerce.js';
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
    let ok = true;
    for (const seg of segs.slice(0, -1)) {
      if (node[seg] === undefined) node[seg] = {};
      if (!isPlainObject(node[seg])) {
        ok = false;
        break;
      }
      node = node[seg] as Record<string, unknown>;
    }
    const leaf = segs[segs.length - 1];
    if (ok && node[leaf] === undefined) node[leaf] = value;
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
  return merge(withNestedMetadata(base), withNestedMetadata(patch));
}

type Segment = string | number;

export function parsePath(dottedPath: string): Segment[] {
  const segments: Segment[] = [];
  for (const part of dottedPath.split('.')) {
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
    const child = node[seg];
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
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

/** The spec with secrets (dockerAuth, token) shown as `***`. */
export function redactSpec(spec: ServiceSpec): ServiceSpec {
  const out = structuredClone(spec);
  if (out.dockerAuth !== undefined) out.dockerAuth = '***';
  if (out.token !== undefined) out.token = '***';
  return out;
}
