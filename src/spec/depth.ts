/**
 * Limits on the shape of input, checked before any recursive code sees it: the
 * validator, zod, structuredClone and JSON.stringify all recurse, and V8 runs out
 * of stack a few thousand levels down (issue 12). No real spec comes near these
 * numbers; docs/spec.md ("Limits") states them.
 */

import type { FieldError } from '../errors.js';
import { formatPath, type PathSegment } from './format.js';

/** Levels of objects and lists, the document itself being level 1. The deepest field Pier reads is at 7. */
export const MAX_DEPTH = 64;

/** How many errors one answer lists; the rest are counted in one last entry. */
export const MAX_ERRORS = 100;

/** A field name an object may not have: assigning it would replace the object's prototype. */
export const FORBIDDEN_KEY = '__proto__';

const SHOWN_SEGMENTS = 8;

/** A path short enough to read: the first segments, then `…` when there are more. */
export function shortPath(path: readonly PathSegment[]): string {
  if (path.length <= SHOWN_SEGMENTS) return formatPath(path);
  return `${formatPath(path.slice(0, SHOWN_SEGMENTS))}…`;
}

export function tooDeepMessage(where = ''): string {
  return `the document is nested more than ${MAX_DEPTH} levels deep${where ? ` at ${where}` : ''}; Pier accepts at most ${MAX_DEPTH} levels of objects and lists (a service spec needs fewer than 10), so flatten or remove this value`;
}

export function forbiddenKeyMessage(): string {
  return `field "${FORBIDDEN_KEY}" is not allowed (it would change how JavaScript reads the object); remove it`;
}

/**
 * The first place where `value` breaks a shape limit: nesting deeper than
 * MAX_DEPTH, or a `__proto__` field. Iterative, so it is safe on any input.
 */
export function checkShape(value: unknown, base: readonly PathSegment[] = []): FieldError | undefined {
  // Each entry links to its parent instead of copying its path: the path is built only for an error.
  interface Entry {
    v: unknown;
    depth: number;
    key?: PathSegment;
    parent?: Entry;
  }
  const pathOf = (e: Entry | undefined): PathSegment[] => {
    const out: PathSegment[] = [];
    for (let n = e; n?.key !== undefined; n = n.parent) out.push(n.key);
    return [...base, ...out.reverse()];
  };
  const stack: Entry[] = [{ v: value, depth: 0 }];
  while (stack.length > 0) {
    const e = stack.pop() as Entry;
    const v = e.v;
    if (typeof v !== 'object' || v === null) continue;
    if (e.depth >= MAX_DEPTH) return { path: shortPath(pathOf(e)), message: tooDeepMessage() };
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) {
        const item: unknown = v[i];
        if (typeof item === 'object' && item !== null) stack.push({ v: item, depth: e.depth + 1, key: i, parent: e });
      }
      continue;
    }
    for (const key of Object.keys(v)) {
      if (key === FORBIDDEN_KEY) return { path: shortPath([...pathOf(e), key]), message: forbiddenKeyMessage() };
      const item = (v as Record<string, unknown>)[key];
      if (typeof item === 'object' && item !== null) stack.push({ v: item, depth: e.depth + 1, key, parent: e });
    }
  }
  return undefined;
}

/** At most MAX_ERRORS errors, and a last one that says how many more there were. */
export function capErrors(errors: FieldError[]): FieldError[] {
  if (errors.length <= MAX_ERRORS) return errors;
  const more = errors.length - MAX_ERRORS;
  return [
    ...errors.slice(0, MAX_ERRORS),
    { path: '', message: `… and ${more} more error${more === 1 ? '' : 's'}; fix the ones above and validate again` },
  ];
}
