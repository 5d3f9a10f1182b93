/** Lenient readings of the scalar quirks real EAS files contain (rules 2 and 3). */

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// Unambiguous (no two ways to match the same digits), so a long non-number fails in linear time.
const NUMERIC = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const NUMERIC_MAX_LENGTH = 100;

/** A number, or a numeric string such as `"8000"`; anything else is undefined. */
export function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && value.length <= NUMERIC_MAX_LENGTH && NUMERIC.test(value.trim())) {
    // "1e400" and 400 digits are numerals, but not numbers a double can hold.
    const n = Number(value.trim());
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

/** A boolean, or the strings "true"/"false" in any case; anything else is undefined. */
export function toBoolean(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    const s = value.trim().toLowerCase();
    if (s === 'true') return true;
    if (s === 'false') return false;
  }
  return undefined;
}

/** Scalars read the lenient way, so `"10000"` and `10000` compare equal. */
export function looseScalar(value: unknown): unknown {
  const b = toBoolean(value);
  if (b !== undefined) return b;
  const n = toNumber(value);
  if (n !== undefined) return n;
  return value;
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => deepEqual(item, b[i]));
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

/** Like deepEqual, but scalars compare by their lenient reading. */
export function looseEqual(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => looseEqual(item, b[i]));
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].every((k) => looseEqual(a[k], b[k]));
  }
  return deepEqual(looseScalar(a), looseScalar(b));
}
