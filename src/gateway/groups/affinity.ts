import type { IncomingHttpHeaders } from 'node:http';
import { parse } from 'cookie';
import type { Affinity } from '../types.js';

/** The value requests are made sticky by, or undefined when the request has none (it is then balanced freely). */
export function affinityKey(headers: IncomingHttpHeaders, affinity: Affinity | undefined): string | undefined {
  if (!affinity) return undefined;
  if (affinity.kind === 'header') {
    const v = headers[affinity.key];
    const value = Array.isArray(v) ? v[0] : v;
    return value === undefined || value === '' ? undefined : value;
  }
  const cookie = headers.cookie;
  if (cookie === undefined) return undefined;
  const value = parse(cookie)[affinity.key];
  return value === undefined || value === '' ? undefined : value;
}
