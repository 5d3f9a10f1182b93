/**
 * The queue service's query parameters: `_name_` keys are operations and options,
 * every other key is a tag (EAS queue service; docs/queue.md). Parsing is
 * strict: an unknown `_name_`, a malformed index or duration is a 400 before
 * anything changes.
 */

export const OPTION_KEYS = new Set([
  '_index_',
  '_length_',
  '_timeout_',
  '_raw_',
  '_auto_delete_',
  '_attrs_',
  '_search_',
  '_count_',
  '_priority_',
  '_indexes_',
  '_negative_',
  '_trunc_',
  '_eos_',
  '_force_',
  '_watch_',
  '_window_',
  '_index_only_',
  '_auto_commit_',
]);

export const MAX_LENGTH = 1000;
export const MAX_WINDOW = 1000;
export const MAX_INDEXES = 1000;
export const MAX_TIMEOUT_MS = 300_000;
const MAX_TAGS = 64;
const MAX_TAG_BYTES = 1024;

export interface QueueQuery {
  options: Map<string, string>;
  tags: Record<string, string>;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

const fail = (message: string): { ok: false; message: string } => ({ ok: false, message });

export function parseQuery(raw: string): Parsed<QueueQuery> {
  const params = new URLSearchParams(raw);
  const options = new Map<string, string>();
  const tags: Record<string, string> = Object.create(null);
  let count = 0;
  for (const [key, value] of params) {
    if (key.length > 2 && key.startsWith('_') && key.endsWith('_')) {
      if (!OPTION_KEYS.has(key))
        return fail(`unknown queue operation or option ${key}; known: ${[...OPTION_KEYS].join(', ')}`);
      options.set(key, value);
      continue;
    }
    if (key === '' || key.length + value.length > MAX_TAG_BYTES)
      return fail(`tag ${JSON.stringify(key.slice(0, 40))} is empty or longer than ${MAX_TAG_BYTES} bytes`);
    if (++count > MAX_TAGS) return fail(`more than ${MAX_TAGS} tags`);
    tags[key] = value;
  }
  return { ok: true, value: { options, tags } };
}

const INTEGER = /^\d{1,15}$/;

/** A non-negative decimal index (`_index_`); absent gives `fallback`. */
export function parseIndex(value: string | undefined, fallback: number, name = '_index_'): Parsed<number> {
  if (value === undefined || value === '') return { ok: true, value: fallback };
  if (!INTEGER.test(value))
    return fail(`${name} ${JSON.stringify(value.slice(0, 40))} is not a non-negative integer, e.g. ${name}=0`);
  return { ok: true, value: Number(value) };
}

export function parseBounded(
  value: string | undefined,
  name: string,
  min: number,
  max: number,
  fallback: number,
): Parsed<number> {
  const n = parseIndex(value, fallback, name);
  if (!n.ok) return n;
  if (n.value < min || n.value > max) return fail(`${name} ${n.value} is out of range; use ${min} to ${max}`);
  return n;
}

/** `_indexes_=1,2,3`: positive integers, at most MAX_INDEXES. */
export function parseIndexes(value: string | undefined): Parsed<number[]> {
  if (value === undefined || value.trim() === '') return fail('_indexes_ is required, e.g. _indexes_=1,2');
  const parts = value.split(',');
  if (parts.length > MAX_INDEXES)
    return fail(`_indexes_ lists ${parts.length} indexes; at most ${MAX_INDEXES} per call`);
  const out: number[] = [];
  for (const p of parts) {
    const t = p.trim();
    if (!INTEGER.test(t) || Number(t) === 0)
      return fail(`_indexes_ entry ${JSON.stringify(t.slice(0, 40))} is not a positive integer`);
    out.push(Number(t));
  }
  return { ok: true, value: out };
}

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * `_timeout_`: a Go duration (`5s`, `1m0s`, `500ms`; what Go's Duration.String()
 * and the Python and Java SDKs send) or bare seconds; at most MAX_TIMEOUT_MS.
 */
export function parseTimeout(value: string | undefined, fallbackMs: number): Parsed<number> {
  if (value === undefined || value === '') return { ok: true, value: fallbackMs };
  const bad = fail(`_timeout_ ${JSON.stringify(value.slice(0, 40))} is not a duration; use e.g. 5s, 500ms or 0s`);
  if (value.length > 40) return bad;
  let ms = 0;
  if (/^\d+(\.\d+)?$/.test(value)) ms = Number(value) * 1000;
  else {
    const parts = [...value.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)];
    if (parts.length === 0 || parts.map((p) => p[0]).join('') !== value) return bad;
    for (const p of parts) ms += Number(p[1]) * UNIT_MS[p[2]!]!;
  }
  if (ms > MAX_TIMEOUT_MS) return fail(`_timeout_ ${value} is longer than ${MAX_TIMEOUT_MS / 1000}s`);
  return { ok: true, value: Math.floor(ms) };
}

export function parseFlag(value: string | undefined, name: string, fallback: boolean): Parsed<boolean> {
  if (value === undefined || value === '') return { ok: true, value: fallback };
  const v = value.toLowerCase();
  if (v === 'true' || v === '1') return { ok: true, value: true };
  if (v === 'false' || v === '0') return { ok: true, value: false };
  return fail(`${name} ${JSON.stringify(value.slice(0, 40))} is not true or false`);
}

/** `_code_` of a negative ack (EAS: CamelCase words with an optional `.Suffix`, or digits; ≤ 20 chars). */
export const NACK_CODE = /^([A-Z][a-z]*)+(.[A-Z][a-z]*)?$|^[0-9]+$/;
