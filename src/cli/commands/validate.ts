/** `pier validate FILE`: parse and validate locally, no server needed. */

import { basename } from 'node:path';
import type { FieldError } from '../../errors.js';
import { loadSpecText } from '../../spec/index.js';
import type { CommandContext } from '../context.js';
import { formatFieldErrors } from '../errors.js';
import { readSpecText } from '../spec-file.js';

export interface ValidateOutput {
  ok: boolean;
  name: string | null;
  errors: FieldError[];
  warnings: FieldError[];
  spec: unknown;
}

export async function validate(ctx: Pick<CommandContext, 'cwd'>, file: string): Promise<ValidateOutput> {
  const { path, text } = await readSpecText(file, ctx.cwd);
  const result = loadSpecText(text, { filename: basename(path) });
  return {
    ok: result.ok,
    name: result.name ?? null,
    errors: result.errors.map(({ path, message }) => ({ path, message })),
    warnings: result.warnings.map(({ path, message }) => ({ path, message })),
    spec: result.spec ?? null,
  };
}

export function validateLines(file: string, r: ValidateOutput): { out: string[]; err: string[] } {
  const warnings = formatFieldErrors(r.warnings, 'warning: ');
  if (r.ok) return { out: [`${file}: spec${r.name ? ` "${r.name}"` : ''} is valid`], err: warnings };
  const count = `${r.errors.length} error${r.errors.length === 1 ? '' : 's'}`;
  return {
    out: [],
    err: [`error: ${file} is not a valid spec (${count})`, ...formatFieldErrors(r.errors), ...warnings],
  };
}
