/**
 * What the process runtime launches for a spec: which containers, with which argv
 * and environment. Pure, apart from `freePort`.
 */

import { createServer } from 'node:net';
import { parse } from 'shell-quote';
import type { ContainerSpec, ServiceSpec } from '../spec/index.js';
import { type ContainerPlan, containerEnvPlan, resolveEnv } from '../platform/plan/index.js';
import { instanceHostEnv } from './host-env.js';

export interface Launch {
  /** `containers[i]`, for messages. */
  path: string;
  file: string;
  args: string[];
  env: Record<string, string>;
}

export type SplitResult = { ok: true; argv: string[] } | { ok: false; message: string };

/**
 * Splits `command` into words as a shell would (quotes, backslashes), without running
 * a shell. `$VAR`/`${VAR}` expand from `env` when defined there and stay as written
 * otherwise; glob patterns stay literal; a `#` comment ends the line. Operators
 * (`|`, `&&`, `;`, redirections…) are refused: they need a shell, i.e. `script`.
 */
export function splitCommand(command: string, env: Record<string, string>): SplitResult {
  const entries = parse(command, (key: string) => (key in env ? env[key] : `$${key}`));
  const argv: string[] = [];
  for (const entry of entries) {
    if (typeof entry === 'string') {
      argv.push(entry);
    } else if ('comment' in entry) {
      break;
    } else if (entry.op === 'glob') {
      argv.push(entry.pattern);
    } else {
      return {
        ok: false,
        message:
          `command ${JSON.stringify(command)} uses the shell operator "${entry.op}", but a command runs without ` +
          'a shell; put it in "script" instead (run as /bin/sh -c)',
      };
    }
  }
  if (argv.length === 0) return { ok: false, message: `command ${JSON.stringify(command)} names no program` };
  return { ok: true, argv };
}

/** The serving container: the first one with a port. */
export function servingIndex(spec: ServiceSpec): number {
  return spec.containers.findIndex((c) => typeof c.port === 'number');
}

const runsSomething = (c: ContainerSpec): boolean => Boolean(c.command || c.script);

/** A user-facing reason the process runtime cannot run `spec`, or null. */
export function processUnsupportedReason(spec: ServiceSpec): string | null {
  const serving = servingIndex(spec);
  if (serving < 0) {
    return 'no container has a "port", so there is nothing to serve; give the serving container a port (e.g. "port": 8000)';
  }
  for (const [i, c] of spec.containers.entries()) {
    if (!runsSomething(c) && c.image) {
      return (
        `containers[${i}] names image ${JSON.stringify(c.image)} but has no command or script; the process runtime ` +
        'cannot run images. Start Pier with the container runtime (a later version) or give a command/script'
      );
    }
    if (i === serving && !runsSomething(c)) {
      return `containers[${i}] (the serving container) has no command or script; give one, e.g. "command": "python3 app.py"`;
    }
    if (c.command) {
      const split = splitCommand(c.command, { PORT: '0' });
      if (!split.ok) return `containers[${i}]: ${split.message}`;
    }
  }
  return null;
}

/** `${PORT}` written into a script; the shell expands `$PORT` itself from the environment. */
function substitutePort(text: string, port: number): string {
  return text.replace(/\$\{PORT\}/g, String(port));
}

/** Serving launch first, then sidecars (containers without a port that have a command or script). */
export function buildLaunches(
  spec: ServiceSpec,
  port: number,
  envFor: (c: ContainerSpec) => Record<string, string>,
): Launch[] | string {
  const serving = servingIndex(spec);
  const order = [serving, ...spec.containers.map((_, i) => i).filter((i) => i !== serving)];
  const launches: Launch[] = [];
  for (const i of order) {
    const c = spec.containers[i];
    if (i !== serving && !runsSomething(c)) continue;
    const path = `containers[${i}]`;
    const env = envFor(c);
    if (c.script) {
      launches.push({ path, file: '/bin/sh', args: ['-c', substitutePort(c.script, port)], env });
    } else if (c.command) {
      const split = splitCommand(c.command, env);
      if (!split.ok) return `${path}: ${split.message}`;
      launches.push({ path, file: split.argv[0], args: split.argv.slice(1), env });
    }
  }
  return launches;
}

export interface EnvInput {
  /** The container whose `env` applies (sidecars get their own on top of the same base). */
  container: ContainerSpec;
  port: number;
  service: string;
  instanceId: string;
  revision: number;
  extraEnv?: Record<string, string>;
  /** The container's plan; its env replaces the one worked out from `container`. */
  plan?: ContainerPlan;
  /** Pier's environment (default process.env); only its allow-listed basics pass (host-env.ts). */
  base?: NodeJS.ProcessEnv;
}

/**
 * The host basics of Pier's environment (never its secrets), then the spec's env,
 * then PORT and PIER_*, then `extraEnv`.
 */
export function buildEnv(input: EnvInput): Record<string, string> {
  const env = instanceHostEnv(input.base ?? process.env);
  const planned = input.plan?.env ?? containerEnvPlan(input.container, input.service, input.revision);
  Object.assign(env, resolveEnv(planned, { instanceId: input.instanceId, port: input.port }));
  Object.assign(env, input.extraEnv ?? {});
  return env;
}

/** A port free on 127.0.0.1 right now (listen on 0, read it, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
