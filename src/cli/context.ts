/** What every command gets: the API client, where to write, and the caller's environment. */

import type { Readable, Writable } from 'node:stream';
import type { Clock } from '../clock.js';
import type { PierClient } from './client.js';

export type Env = Record<string, string | undefined>;

export interface CommandContext {
  client: PierClient;
  out: Writable;
  err: Writable;
  cwd: string;
  env: Env;
  stdin: Readable;
  /** stdout is a terminal: progress lines rewrite themselves with \r. */
  ttyOut: boolean;
  /** stdin is a terminal: questions may be asked. */
  ttyIn: boolean;
  clock: Clock;
  /** How often waits poll the service (500 ms). */
  pollMs: number;
  /** Aborts on SIGINT/SIGTERM (or the caller's signal): long-running commands end cleanly. */
  shutdown: AbortSignal;
}

export type OutputFormat = 'table' | 'json' | 'yaml';

export function writeLines(stream: Writable, lines: string[]): void {
  if (lines.length > 0) stream.write(`${lines.join('\n')}\n`);
}
