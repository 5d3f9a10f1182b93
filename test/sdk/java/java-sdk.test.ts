/**
 * The official EAS Java SDK (com.aliyun.openservices.eas:eas-sdk from Maven Central, unchanged)
 * against a real Pier: test/sdk/java/src/main/java/dev/pier/sdktest/Main.java drives
 * PredictClient as the SDK's README shows (https://github.com/pai-eas/eas-java-sdk) and prints
 * JSON lines that these tests assert. `bash test/sdk/java/setup.sh` builds it outside the repo.
 *
 * What eas-sdk 2.0.3 (the version Maven Central serves) does, read from its sources jar:
 * - predict(String | byte[]) POSTs `/api/predict/<model>` (no sub-path, no query), signed
 *   `EAS base64(HMAC-SHA1(token, "POST\n<md5 hex>\napplication/octet-stream\n<Date>\n/api/predict/<model>"))`;
 * - it retries every failure, any status or network error, `retryCount` (3) more times, then
 *   throws a plain Exception whose message is `URL: <url>, <body>`: the status is in
 *   `getErrorCode()`, not in the exception;
 * - direct mode (setDirectEndpoint) asks `GET /exported/apis/eas.alibaba-inc.k8s.io/v1/upstreams/<model>`
 *   without Authorization, refreshes about every second, and on a retry picks another endpoint;
 * - no streaming: the whole answer is read into a byte[] before predict returns.
 */

import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import {
  createService,
  fixtureSpec,
  repoRoot,
  runLines,
  type SdkService,
  startSdkPier,
  type TestPier,
} from '../harness.js';
import { waitFor } from '../../support/wait.js';
import { pidOf } from '../../support/instance.js';

type Event = Record<string, unknown> & { event: string };

const here = path.join(repoRoot, 'test/sdk/java');
const cacheDir = path.join(
  process.env.PIER_CACHE_DIR ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(homedir(), '.cache'), 'pier'),
  'sdk/java',
);
const jar = path.join(cacheDir, 'eas-java-sdk-client.jar');

let pier: TestPier;
let javaHome: string;
let echo: SdkService;
let kill: SdkService;
let killDirect: SdkService;

const readiness = { readiness_check: { http_get: { path: '/health', port: 8000 }, period_seconds: 1 } };

// Checked once; every test then fails (never skips) with the command that fixes it.
const jarProblem = checkJar();

beforeEach(() => {
  if (jarProblem) throw new Error(jarProblem);
});

beforeAll(async () => {
  if (jarProblem) return;
  // The SDK writes logs and a discovery cache under user.home and /home/admin: keep them in a temp dir.
  javaHome = mkdtempSync(path.join(tmpdir(), 'pier-java-sdk-'));
  pier = await startSdkPier();
  [echo, kill, killDirect] = await Promise.all([
    createService(pier, fixtureSpec('java_echo', {}, readiness, { instance: 2 })),
    createService(pier, fixtureSpec('java_kill', { RESPONSE_DELAY_MS: 50 }, readiness, { instance: 3 })),
    createService(pier, fixtureSpec('java_kill_direct', { RESPONSE_DELAY_MS: 50 }, readiness, { instance: 2 })),
  ]);
}, 180_000);

afterAll(async () => {
  await pier?.close();
  if (javaHome) rmSync(javaHome, { recursive: true, force: true });
});

it('predicts through the gateway with the signed EAS header', async () => {
  const before = await echo.gatewayRequests();
  const events = await java('predict', { ...gateway(echo), count: 4 });
  expect(events[0]).toMatchObject({ event: 'start', sdkVersion: '2.0.3' });
  const calls = events.filter((e) => e.event === 'call');
  expect(calls).toHaveLength(4);
  for (const call of calls) {
    expect(call.ok, JSON.stringify(call)).toBe(true);
    const answer = JSON.parse(call.response as string);
    expect(answer.body).toBe(call.sent);
    expect(answer.path).toBe('/'); // the gateway forwards the sub-path, none here
    expect(call.pierInstance).toBe(answer.instance);
  }
  expect(await echo.gatewayRequests()).toBe(before + 4);
});

it('a wrong token surfaces 401 from the SDK', async () => {
  const events = await java('wrong-token', { ...gateway(echo), token: 'not-the-token' });
  const error = events.find((e) => e.event === 'error');
  expect(error, JSON.stringify(events)).toBeDefined();
  expect(error?.errorCode).toBe(401);
  expect(error?.message).toContain('UNAUTHORIZED');
  expect(error?.message).toContain('/api/predict/java_echo');
  expect(error?.sdkRetries).toBe(3); // 4 attempts: 2.0.3 retries a 401 like anything else
});

it('direct mode: discovery without a token, then calls go to the instances, not the gateway', async () => {
  const before = await echo.gatewayRequests();
  const events = await java('predict', { ...direct(echo), count: 6 });
  const calls = events.filter((e) => e.event === 'call');
  expect(calls).toHaveLength(6);
  const ids = (await echo.instances()).map((i) => i.id);
  for (const call of calls) {
    expect(call.ok, JSON.stringify(call)).toBe(true);
    const answer = JSON.parse(call.response as string);
    expect(answer.body).toBe(call.sent);
    // Straight to the instance: it sees the SDK's whole path, and no gateway header came back.
    expect(answer.path).toBe('/api/predict/java_echo');
    expect(call.pierInstance).toBeUndefined();
    expect(ids).toContain(answer.instance);
  }
  expect(await echo.gatewayRequests()).toBe(before);
});

it('200 calls through the gateway, one of 3 instances kill -9ed mid-run: all succeed', async () => {
  const summary = await loadWithKill(kill, gateway(kill));
  console.log(`gateway answers for java_kill by status: ${JSON.stringify(await codes(kill.name))}`);
  expect(summary.errors).toEqual([]);
  expect(summary.ok).toBe(200);
  expect(summary.failed).toBe(0);
  expect(sum(summary.afterResume)).toBe(50);
  expect(Object.keys(summary.paths)).toEqual(['/']);
});

it('200 calls in direct mode, one of 2 instances kill -9ed mid-run: all succeed', async () => {
  const before = await killDirect.gatewayRequests();
  const summary = await loadWithKill(killDirect, direct(killDirect));
  expect(summary.errors).toEqual([]);
  expect(summary.ok).toBe(200);
  expect(sum(summary.afterResume)).toBe(50);
  expect(Object.keys(summary.paths)).toEqual(['/api/predict/java_kill_direct']);
  expect(await killDirect.gatewayRequests()).toBe(before);
});

it('a 12 MiB body makes the round trip intact through the gateway', async () => {
  const size = 12 << 20;
  const events = await java('large', { ...gateway(echo), size });
  const large = events.find((e) => e.event === 'large');
  expect(large, JSON.stringify(events).slice(0, 2000)).toBeDefined();
  expect(large?.sent).toBe(size);
  expect(large?.received).toBe(size);
  expect(large?.sha256Received).toBe(large?.sha256Sent);
  expect(large?.path).toBe('/');
});

interface LoadSummary {
  ok: number;
  failed: number;
  byInstance: Record<string, number>;
  afterResume: Record<string, number>;
  paths: Record<string, number>;
  errors: string[];
  sdkRetries: number;
}

/**
 * 200 calls on 4 threads; once 50 are done, one instance is kill -9ed while it holds a call
 * (the fixture's /counters says so; each call takes RESPONSE_DELAY_MS). Calls 150–199 wait until
 * the kill is confirmed (the program reads `resume`), so at least 50 calls follow the kill.
 */
async function loadWithKill(svc: SdkService, target: Record<string, string>): Promise<LoadSummary> {
  let killing: Promise<void> | undefined;
  let killed: { pid: number; busy: boolean } | undefined;
  const events = await java('load', { ...target, count: 200, threads: 4, 'gate-at': 150 }, (event, write) => {
    if (event.event !== 'progress' || (event.done as number) < 50 || killing) return;
    killing = killBusyInstance(svc).then(
      (k) => {
        killed = k;
        write('resume');
      },
      (err) => {
        write('resume');
        throw err;
      },
    );
  });
  await killing;
  expect(killed, 'an instance was killed').toBeDefined();
  const summary = events.find((e) => e.event === 'summary') as unknown as LoadSummary | undefined;
  expect(summary, JSON.stringify(events.slice(-5))).toBeDefined();
  console.log(`java sdk load on ${svc.name}: killed ${JSON.stringify(killed)}, ${JSON.stringify(summary)}`);
  return summary as LoadSummary;
}

/** Kills the first ready instance, once it has a call in flight if that shows within 10 s. */
async function killBusyInstance(svc: SdkService): Promise<{ pid: number; busy: boolean }> {
  const ready = (await svc.instances()).filter(
    (i) => i.ready && i.platform?.kind === 'local' && i.platform.pid !== undefined,
  );
  const victim = ready[0];
  if (!victim?.address) throw new Error(`${svc.name} has no ready instance: ${JSON.stringify(ready)}`);
  const inflight = async () => {
    const counters = (await (await fetch(`http://${victim.address}/counters`)).json()) as { inflight?: number };
    return (counters.inflight ?? 0) > 0;
  };
  const busy = await waitFor(inflight, {
    what: `a call in flight on ${victim.id}`,
    timeoutMs: 10_000,
    intervalMs: 5,
  }).then(
    () => true,
    () => false,
  );
  const pid = await svc.killInstance(0);
  expect(pid).toBe(pidOf(victim));
  return { pid, busy };
}

function gateway(svc: SdkService): Record<string, string> {
  return { endpoint: new URL(svc.gatewayUrl).host, service: svc.name, token: svc.token };
}

function direct(svc: SdkService): Record<string, string> {
  return { direct: new URL(svc.gatewayUrl).host, service: svc.name, token: svc.token };
}

/** Runs one scenario of the Java client; resolves with its JSON lines once it exits 0. */
async function java(
  scenario: string,
  args: Record<string, string | number>,
  onEvent?: (event: Event, write: (line: string) => void) => void,
): Promise<Event[]> {
  const argv = [
    `-Duser.home=${javaHome}`,
    `-Dcom.aliyun.eas.failover=${path.join(javaHome, 'failover')}`,
    '-XX:TieredStopAtLevel=1',
    '-jar',
    jar,
    scenario,
    ...Object.entries(args).flatMap(([k, v]) => [`--${k}`, String(v)]),
  ];
  const events: Event[] = [];
  const run = await runLines('java', argv, {
    cwd: javaHome,
    onLine: (line, write) => {
      if (!line.startsWith('{')) return;
      const event = JSON.parse(line) as Event;
      events.push(event);
      onEvent?.(event, write);
    },
  });
  if (run.code !== 0) {
    throw new Error(`java ${scenario} exited ${run.code ?? run.signal}:\n${run.stdout}\n${run.stderr.slice(-4000)}`);
  }
  return events;
}

/** Why the client cannot run: missing, or built from other sources than these. */
function checkJar(): string | undefined {
  const fix = 'run `bash test/sdk/java/setup.sh` first (it builds the EAS Java SDK client outside the repo)';
  let stamp: string;
  try {
    statSync(jar);
    stamp = readFileSync(path.join(cacheDir, 'sources.sha256'), 'utf8').trim();
  } catch {
    return `the Java SDK client ${jar} is missing: ${fix}`;
  }
  if (stamp !== sourcesHash()) return `the Java SDK client ${jar} is older than test/sdk/java: ${fix}`;
  return undefined;
}

/** setup.sh's digest: `sha256sum` lines of pom.xml, setup.sh and src/** sorted by path, hashed again. */
function sourcesHash(): string {
  const files = ['pom.xml', 'setup.sh', ...walk('src')].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const listing = files
    .map(
      (f) =>
        `${createHash('sha256')
          .update(readFileSync(path.join(here, f)))
          .digest('hex')}  ${f}\n`,
    )
    .join('');
  return createHash('sha256').update(listing).digest('hex');
}

function walk(dir: string): string[] {
  return readdirSync(path.join(here, dir), { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? walk(path.join(dir, d.name)) : [path.join(dir, d.name)],
  );
}

/** The gateway's answers for `service` by status code (control plane /metrics). */
async function codes(service: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${pier.controlUrl}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    if (!line.startsWith('pier_gateway_requests_total{') || !line.includes(`service="${service}"`)) continue;
    const code = /code="(\d+)"/.exec(line)?.[1] ?? '?';
    out[code] = (out[code] ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return out;
}

function sum(counts: Record<string, number>): number {
  return Object.values(counts).reduce((a, b) => a + b, 0);
}
