/**
 * A bounded load generator for zero-downtime checks: keep-alive and fresh
 * connections mixed, some requests lasting 1–2 s, and one SSE stream open across
 * the whole step. Any non-200 answer or connection error counts as failed.
 */

import http from 'node:http';

import { waitFor } from './wait.js';

export interface LoadOptions {
  /** e.g. http://127.0.0.1:8080/api/predict/svc */
  endpoint: string;
  token: string;
  concurrency: number;
  /** Every n-th request asks the app to take 1–2 s (needs `?delay_ms=` support). */
  slowEvery?: number;
  /** Stops by itself after this many requests per worker. */
  maxRequestsPerWorker?: number;
  /** Path of an SSE stream to keep open (e.g. '/sse?n=40&interval_ms=200'), reopened when it ends. */
  ssePath?: string;
  /** Method and path of the ordinary requests (default POST /work?n=…). */
  method?: 'GET' | 'POST';
  path?: string;
}

export interface LoadResult {
  ok: number;
  failed: number;
  /** Up to 20 failure descriptions. */
  failures: string[];
  sseEvents: number;
  sseStreams: number;
  /** The instance serving the SSE stream now (from the gateway's X-Pier-Instance). */
  sseInstance?: string;
  latenciesMs: number[];
  /** Ordinary requests answered 200, by the instance that answered (X-Pier-Instance). */
  byInstance: Record<string, number>;
}

export interface RunningLoad {
  result: LoadResult;
  /** Stops sending and waits for the requests in flight. */
  stop(): Promise<LoadResult>;
}

export function startLoad(opts: LoadOptions): RunningLoad {
  const result: LoadResult = {
    ok: 0,
    failed: 0,
    failures: [],
    sseEvents: 0,
    sseStreams: 0,
    latenciesMs: [],
    byInstance: {},
  };
  const keepAlive = new http.Agent({ keepAlive: true, maxSockets: opts.concurrency });
  let stopped = false;
  const fail = (what: string) => {
    result.failed++;
    if (result.failures.length < 20) result.failures.push(what);
  };
  const url = new URL(opts.endpoint);

  const one = (path: string, fresh: boolean) =>
    new Promise<void>((settle) => {
      let done = false;
      const resolve = () => {
        done = true;
        settle();
      };
      const started = performance.now();
      const req = http.request(
        {
          host: url.hostname,
          port: url.port,
          path: `${url.pathname}${path}`,
          method: opts.method ?? 'POST',
          agent: fresh ? false : keepAlive,
          headers: {
            authorization: opts.token,
            'content-type': 'application/json',
            ...(fresh ? { connection: 'close' } : {}),
          },
          timeout: 30_000,
        },
        (res) => {
          res.resume();
          res.on('error', () => {});
          res.on('close', () => {
            if (done) return;
            if (!res.complete) fail(`response to ${path} cut before its end`);
            else if (res.statusCode === 200) {
              result.ok++;
              result.latenciesMs.push(performance.now() - started);
              const via = String(res.headers['x-pier-instance'] ?? '');
              result.byInstance[via] = (result.byInstance[via] ?? 0) + 1;
            } else fail(`HTTP ${res.statusCode} on ${path}`);
            resolve();
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error('client timeout')));
      req.on('error', (err) => {
        if (done) return;
        fail(`${err.message} on ${path}`);
        resolve();
      });
      req.end(opts.method === 'GET' ? undefined : '{"features":[5.1,3.5,1.4,0.2]}');
    });

  const worker = async (w: number) => {
    const max = opts.maxRequestsPerWorker ?? 100_000;
    for (let n = 0; n < max && !stopped; n++) {
      const slow = opts.slowEvery && n % opts.slowEvery === opts.slowEvery - 1;
      const path = opts.path ?? (slow ? `/work?delay_ms=${1000 + ((n * 97 + w * 13) % 1000)}` : `/work?n=${n}`);
      await one(path, (n + w) % 4 === 0);
    }
  };

  const sse = async () => {
    if (!opts.ssePath) return;
    while (!stopped) {
      await new Promise<void>((resolve) => {
        const req = http.request(
          {
            host: url.hostname,
            port: url.port,
            path: `${url.pathname}${opts.ssePath}`,
            headers: { authorization: opts.token, accept: 'text/event-stream' },
            agent: false,
          },
          (res) => {
            if (res.statusCode !== 200) {
              fail(`SSE HTTP ${res.statusCode}`);
              res.resume();
              res.on('end', resolve);
              return;
            }
            result.sseStreams++;
            const via = res.headers['x-pier-instance'];
            result.sseInstance = typeof via === 'string' ? via : undefined;
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => {
              result.sseEvents += chunk.split('\n\n').filter((e) => e.startsWith('data:')).length;
            });
            res.on('error', () => {});
            res.on('close', () => {
              if (!res.complete) fail('SSE stream cut before its end');
              resolve();
            });
          },
        );
        req.on('error', (err) => {
          fail(`SSE ${err.message}`);
          resolve();
        });
        req.end();
      });
    }
  };

  const all = Promise.all([...Array.from({ length: opts.concurrency }, (_, w) => worker(w)), sse()]);
  return {
    result,
    async stop() {
      stopped = true;
      await all;
      keepAlive.destroy();
      return result;
    },
  };
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** The mix the zero-downtime test and bench/rollout run: 16 clients, every 10th request 1–2 s, one SSE stream. */
export const ROLLOUT_MIX = { concurrency: 16, slowEvery: 10, ssePath: '/sse?n=30&interval_ms=200' } as const;

/**
 * Starts the load, waits until it flows, runs `step`, waits until `settleOk` more
 * requests succeeded after it, and returns what the load saw.
 */
export async function underLoad(
  opts: LoadOptions,
  step: (load: RunningLoad) => Promise<void>,
  settleOk = 50,
): Promise<LoadResult> {
  const load = startLoad(opts);
  await waitFor(() => load.result.ok > 50, { what: 'load to flow', timeoutMs: 60_000 });
  await step(load);
  const okBefore = load.result.ok;
  await waitFor(() => load.result.ok > okBefore + settleOk, { what: 'load after the step', timeoutMs: 120_000 });
  return load.stop();
}
