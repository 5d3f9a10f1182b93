/**
 * `pier`: builds the context, runs one verb, and maps whatever went wrong to an
 * exit code in one place (0 ok, 1 failure, 2 bad input).
 */

import { readFileSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { type Clock, createRealClock } from '../clock.js';
import { clientOptionsFromEnv, createClient } from './client.js';
import type { CommandContext, Env } from './context.js';
import { reportError } from './errors.js';
import { buildProgram } from './program.js';

export interface MainOptions {
  stdout?: Writable;
  stderr?: Writable;
  stdin?: Readable;
  env?: Env;
  cwd?: string;
  /** Ends foreground verbs (server, up, logs -f) like Ctrl-C does. */
  signal?: AbortSignal;
  clock?: Clock;
  /** Poll interval of waits (default 500 ms). */
  pollMs?: number;
}

export async function main(argv: string[], options: MainOptions = {}): Promise<number> {
  const out = options.stdout ?? process.stdout;
  const err = options.stderr ?? process.stderr;
  const stdin = options.stdin ?? process.stdin;
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const shutdown = new AbortController();
  const stop = () => shutdown.abort();
  let listening = false;
  options.signal?.addEventListener('abort', stop, { once: true });

  const ctx: CommandContext = {
    client: createClient(clientOptionsFromEnv(env, cwd)),
    out,
    err,
    cwd,
    env,
    stdin,
    ttyOut: (out as { isTTY?: boolean }).isTTY === true,
    ttyIn: (stdin as { isTTY?: boolean }).isTTY === true,
    clock: options.clock ?? createRealClock(),
    pollMs: options.pollMs ?? 500,
    // Ctrl-C handling only for the verbs that ask for it; others keep the default (exit at once).
    get shutdown() {
      if (!listening) {
        listening = true;
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      }
      return shutdown.signal;
    },
  };

  let exitCode = 0;
  try {
    const program = buildProgram(ctx, packageVersion(), (code) => {
      exitCode = code;
    });
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    return reportError(error, err);
  } finally {
    options.signal?.removeEventListener('abort', stop);
    if (listening) {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
  }
}

function packageVersion(): string {
  try {
    return JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}
