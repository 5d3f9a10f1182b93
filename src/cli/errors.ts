/**
 * One place maps failures to exit codes and to what the user reads:
 * 0 ok, 1 failure (server errors, a Failed service), 2 bad input.
 */

import type { Writable } from 'node:stream';
import { CommanderError } from 'commander';
import { type FieldError, isPierError } from '../errors.js';

/** A failure the CLI itself decides on, with its exit code, detail lines and a next step. */
export class CliError extends Error {
  readonly exitCode: number;
  readonly details: string[];
  readonly hint?: string;

  constructor(exitCode: 1 | 2, message: string, options: { details?: string[]; hint?: string } = {}) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
    this.details = options.details ?? [];
    if (options.hint) this.hint = options.hint;
  }
}

const BAD_INPUT = new Set(['SPEC_INVALID', 'SPEC_PARSE', 'BAD_REQUEST']);

export function exitCodeFor(err: unknown): number {
  if (err instanceof CliError) return err.exitCode;
  if (err instanceof CommanderError) return isHelp(err) ? 0 : 2;
  if (isPierError(err)) return BAD_INPUT.has(err.code) ? 2 : 1;
  return 1;
}

function isHelp(err: CommanderError): boolean {
  return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help';
}

export function hintFor(err: unknown): string | undefined {
  if (err instanceof CliError) return err.hint;
  if (!isPierError(err)) return undefined;
  switch (err.code) {
    case 'SERVICE_NOT_FOUND':
      return 'list services with "pier ls"';
    case 'SERVICE_EXISTS':
      return 'change it with "pier modify NAME -s FILE", or "pier delete NAME" first';
    case 'REVISION_NOT_FOUND':
      return 'list revisions with "pier revisions NAME"';
    case 'INSTANCE_NOT_FOUND':
      return 'list instances with "pier w NAME"';
    case 'UNAUTHORIZED':
      return 'set PIER_ADMIN_TOKEN, or PIER_HOME to the directory that holds admin-token';
    case 'SPEC_INVALID':
      return 'check the file with "pier validate FILE"';
    default:
      return undefined;
  }
}

export function formatFieldErrors(list: FieldError[] | undefined, prefix = '  '): string[] {
  return (list ?? []).map((e) => (e.path ? `${prefix}${e.path}: ${e.message}` : `${prefix}${e.message}`));
}

/** Prints `error: …`, the field lines, the details and a hint; returns the exit code. */
export function reportError(err: unknown, stderr: Writable): number {
  const code = exitCodeFor(err);
  if (err instanceof CommanderError) return code; // commander already printed its message
  const message = err instanceof Error ? err.message : String(err);
  const lines = [`error: ${message}`];
  if (isPierError(err)) {
    lines.push(...formatFieldErrors(err.errors));
    lines.push(...formatFieldErrors(err.warnings, '  warning: '));
  }
  if (err instanceof CliError) lines.push(...err.details);
  const hint = hintFor(err);
  if (hint) lines.push(`hint: ${hint}`);
  stderr.write(`${lines.join('\n')}\n`);
  return code;
}
