/** Checks for the small values routes read from bodies and query strings. */

import { PierError } from '../errors.js';

/** An integer ≥ min from a JSON body field; otherwise 400 with the field's path. */
export function intField(body: unknown, field: string, min: number): number {
  const value = body !== null && typeof body === 'object' ? (body as Record<string, unknown>)[field] : undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    const found = value === undefined ? 'nothing' : JSON.stringify(value);
    throw new PierError('BAD_REQUEST', `${field} must be an integer ≥ ${min}, got ${found}`, {
      errors: [{ path: field, message: `must be an integer ≥ ${min}, got ${found}` }],
    });
  }
  return value;
}

/** An optional integer ≥ min from the query string. */
export function intQuery(query: URLSearchParams, name: string, min: number): number | undefined {
  const raw = query.get(name);
  if (raw === null || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) {
    throw new PierError('BAD_REQUEST', `query parameter ${name} must be an integer ≥ ${min}, got "${raw}"`, {
      errors: [{ path: name, message: `must be an integer ≥ ${min}, got "${raw}"` }],
    });
  }
  return value;
}

export function flagQuery(query: URLSearchParams, name: string): boolean {
  const raw = query.get(name);
  return raw !== null && ['1', 'true', 'yes', ''].includes(raw.toLowerCase());
}

export function objectBody(body: unknown, what: string): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new PierError('BAD_REQUEST', `${what} must be a JSON object`);
  }
  return body as Record<string, unknown>;
}
