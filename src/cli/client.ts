/**
 * The control API as functions. Finds the server through PIER_CONTROL_URL and the
 * admin token through PIER_ADMIN_TOKEN or `<PIER_HOME or ./.pier>/admin-token`.
 * Error answers come back as PierError with the server's code, errors and warnings.
 */

import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type {
  ControlPlane,
  GroupDescription,
  GroupSummary,
  GroupTrafficRequest,
  ModifyRequest,
  ModifyResult,
  ServiceDescription,
} from '../api/index.js';
import { ERROR_CODES, type ErrorCode, PierError } from '../errors.js';
import type { ValidationResult } from '../spec/index.js';

export const DEFAULT_CONTROL_URL = 'http://127.0.0.1:9090';

type Env = Record<string, string | undefined>;

export interface ClientOptions {
  baseUrl: string;
  /** Returns the admin token, or undefined to send none. */
  token: () => string | undefined;
}

export function pierHome(env: Env, cwd: string): string {
  return resolve(cwd, env.PIER_HOME || '.pier');
}

/** PIER_ADMIN_TOKEN, else the admin-token file in the Pier home; undefined if neither exists. */
export function readAdminToken(env: Env, cwd: string): string | undefined {
  if (env.PIER_ADMIN_TOKEN) return env.PIER_ADMIN_TOKEN;
  try {
    return readFileSync(join(pierHome(env, cwd), 'admin-token'), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

export function clientOptionsFromEnv(env: Env, cwd: string): ClientOptions {
  return {
    baseUrl: (env.PIER_CONTROL_URL || DEFAULT_CONTROL_URL).replace(/\/+$/, ''),
    token: () => readAdminToken(env, cwd),
  };
}

type Q = Record<string, string | number | undefined>;
const enc = encodeURIComponent;

export type PierClient = ReturnType<typeof createClient>;

export function createClient(opts: ClientOptions) {
  const send = async (method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<Response> => {
    const token = opts.token();
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(`${opts.baseUrl}${path}`, {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        ...(signal ? { signal } : {}),
      });
    } catch (err) {
      if (signal?.aborted) throw err;
      throw new PierError(
        'UNAVAILABLE',
        `cannot reach the Pier control plane at ${opts.baseUrl} — start it with "pier server"`,
        { cause: err },
      );
    }
    if (!res.ok) throw await errorFrom(res);
    return res;
  };
  const json = async <T>(method: string, path: string, body?: unknown): Promise<T> =>
    (await (await send(method, path, body)).json()) as T;
  const svc = (name: string) => `/api/v1/services/${enc(name)}`;

  /** Reads an NDJSON `?watch=true` stream, one parsed value per line, until the signal aborts or the server ends it. */
  const watch = async <T>(path: string, onValue: (value: T) => void, signal: AbortSignal): Promise<void> => {
    const sep = path.includes('?') ? '&' : '?';
    const res = await send('GET', `${path}${sep}watch=true`, undefined, signal);
    if (!res.body) return;
    let buffered = '';
    try {
      for await (const text of res.body.pipeThrough(new TextDecoderStream())) {
        buffered += text;
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        for (const line of lines) if (line.trim() !== '') onValue(JSON.parse(line) as T);
      }
    } catch (err) {
      if (!signal.aborted) throw err;
    }
  };

  return {
    baseUrl: opts.baseUrl,
    watchList: (onList: (list: ReturnType<ControlPlane['list']>) => void, signal: AbortSignal) =>
      watch('/api/v1/services', onList, signal),
    watchInstances: (
      name: string,
      onList: (list: ReturnType<ControlPlane['instances']>) => void,
      signal: AbortSignal,
    ) => watch(`${svc(name)}/instances`, onList, signal),
    watchEvents: (
      name: string,
      q: { sinceId?: number; limit?: number },
      onEvent: (e: ReturnType<ControlPlane['events']>[number]) => void,
      signal: AbortSignal,
    ) => watch(`${svc(name)}/events${query(q)}`, onEvent, signal),
    validate: (spec: unknown) => json<ValidationResult>('POST', '/api/v1/validate', spec),
    list: () => json<ReturnType<ControlPlane['list']>>('GET', '/api/v1/services'),
    describe: (name: string) => json<ServiceDescription>('GET', svc(name)),
    create: (spec: unknown) => json<Awaited<ReturnType<ControlPlane['create']>>>('POST', '/api/v1/services', spec),
    modify: (name: string, req: ModifyRequest) => json<ModifyResult>('PATCH', svc(name), req),
    delete: (name: string) => json<{ deleted: string }>('DELETE', svc(name)),
    stop: (name: string) => json<ServiceDescription>('POST', `${svc(name)}/stop`),
    start: (name: string) => json<ServiceDescription>('POST', `${svc(name)}/start`),
    scale: (name: string, instances: number) => json<ServiceDescription>('POST', `${svc(name)}/scale`, { instances }),
    rollback: (name: string, revision: number) =>
      json<ServiceDescription>('POST', `${svc(name)}/rollback`, { revision }),
    setTraffic: (name: string, traffic: Record<string, number>) =>
      json<ServiceDescription>('PATCH', `${svc(name)}/traffic`, { traffic }),
    promote: (name: string, revision: number) => json<ServiceDescription>('POST', `${svc(name)}/promote`, { revision }),
    restart: (name: string, instance?: string) =>
      json<ServiceDescription>('POST', `${svc(name)}/restart`, instance ? { instance } : {}),
    diff: (name: string, from: number, to: number) =>
      json<ReturnType<ControlPlane['diff']>>('GET', `${svc(name)}/diff${query({ from, to })}`),
    revisions: (name: string) => json<ReturnType<ControlPlane['revisions']>>('GET', `${svc(name)}/revisions`),
    instances: (name: string) => json<ReturnType<ControlPlane['instances']>>('GET', `${svc(name)}/instances`),
    queue: (name: string) => json<ReturnType<ControlPlane['queue']>>('GET', `${svc(name)}/queue`),
    events: (name: string, q: { sinceId?: number; limit?: number } = {}) =>
      json<ReturnType<ControlPlane['events']>>('GET', `${svc(name)}/events${query(q)}`),
    groups: () => json<GroupSummary[]>('GET', '/api/v1/groups'),
    group: (name: string) => json<GroupDescription>('GET', `/api/v1/groups/${enc(name)}`),
    groupTraffic: (name: string, req: GroupTrafficRequest) =>
      json<GroupDescription>('PATCH', `/api/v1/groups/${enc(name)}/traffic`, req),
    logs: async (name: string, q: { instance?: string; tail?: number } = {}) =>
      (await send('GET', `${svc(name)}/logs${query(q)}`)).text(),
    /** Streams log text to onChunk until the signal aborts or the server ends the stream. */
    async followLogs(
      name: string,
      q: { instance?: string; tail?: number },
      onChunk: (text: string) => void,
      signal: AbortSignal,
    ): Promise<void> {
      const res = await send('GET', `${svc(name)}/logs${query({ ...q, follow: 1 })}`, undefined, signal);
      if (!res.body) return;
      try {
        for await (const text of res.body.pipeThrough(new TextDecoderStream())) onChunk(text);
      } catch (err) {
        if (!signal.aborted) throw err;
      }
    },
  };
}

function query(q: Q): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined) params.set(k, String(v));
  const s = params.toString();
  return s ? `?${s}` : '';
}

async function errorFrom(res: Response): Promise<PierError> {
  const text = await res.text();
  let body: { code?: string; message?: string; errors?: []; warnings?: [] } = {};
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: a proxy or something else answered
  }
  const code = body.code && body.code in ERROR_CODES ? (body.code as ErrorCode) : statusCode(res.status);
  const message = body.message ?? `HTTP ${res.status} from the control plane: ${text.slice(0, 200)}`;
  return new PierError(code, message, {
    ...(body.errors ? { errors: body.errors } : {}),
    ...(body.warnings ? { warnings: body.warnings } : {}),
  });
}

function statusCode(status: number): ErrorCode {
  if (status === 400) return 'BAD_REQUEST';
  if (status === 401) return 'UNAUTHORIZED';
  if (status === 404) return 'ROUTE_NOT_FOUND';
  if (status === 503) return 'UNAVAILABLE';
  return 'INTERNAL';
}
