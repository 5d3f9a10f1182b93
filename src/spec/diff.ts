/** What changed between two revisions, and whether the change only rescales. */

import { deepEqual, isPlainObject } from './coerce.js';
import { formatPath, type PathSegment } from './format.js';
import type { ServiceSpec } from './types.js';

export interface SpecChange {
  path: string;
  from: unknown;
  to: unknown;
}

function walk(a: unknown, b: unknown, path: PathSegment[], out: SpecChange[]): void {
  if (deepEqual(a, b)) return;
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = [...Object.keys(a), ...Object.keys(b).filter((k) => !Object.hasOwn(a, k))];
    for (const k of keys) walk(a[k], b[k], [...path, k], out);
  } else if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.max(a.length, b.length); i++) walk(a[i], b[i], [...path, i], out);
  } else {
    out.push({ path: formatPath(path), from: a, to: b });
  }
}

/** Leaf-level differences, in spec order (`containers[0].image`, `metadata.cpu`). */
export function diffSpecs(a: ServiceSpec, b: ServiceSpec): SpecChange[] {
  const out: SpecChange[] = [];
  walk(a, b, [], out);
  return out;
}

const SECRET_PATHS = new Set(['dockerAuth', 'token']);
const SHOWN = 3;

function show(value: unknown, path: string): string {
  if (value === undefined) return '(none)';
  if (SECRET_PATHS.has(path)) return '***';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > 40 ? `${text.slice(0, 39)}…` : text;
}

/** One line for events and `desc`: `initial`, or `containers[0].image: a → b; metadata.cpu: 1 → 2`. */
export function summarizeChange(a: ServiceSpec | undefined, b: ServiceSpec): string {
  if (a === undefined) return 'initial';
  const changes = diffSpecs(a, b);
  if (changes.length === 0) return 'no change';
  const parts = changes.slice(0, SHOWN).map((c) => `${c.path}: ${show(c.from, c.path)} → ${show(c.to, c.path)}`);
  const more = changes.length - SHOWN;
  return parts.join('; ') + (more > 0 ? `; … and ${more} more` : '');
}

/** True when the two specs differ only in metadata.instance: scale, no new revision, no restarts. */
export function isScaleOnlyChange(a: ServiceSpec, b: ServiceSpec): boolean {
  const changes = diffSpecs(a, b);
  return changes.length > 0 && changes.every((c) => c.path === 'metadata.instance');
}
