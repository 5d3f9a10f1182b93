/** Reads a spec file from disk and parses it locally, so parse errors come with line and column. */

import { readFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { type FieldError, PierError } from '../errors.js';
import { parseSpecText } from '../spec/index.js';
import { CliError } from './errors.js';

export async function readSpecText(file: string, cwd: string): Promise<{ path: string; text: string }> {
  const path = resolve(cwd, file);
  try {
    return { path, text: await readFile(path, 'utf8') };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new CliError(2, `file not found: ${file} (looked at ${path})`);
    if (code === 'EISDIR')
      throw new CliError(2, `${file} is a directory; pass the spec file (e.g. ${file}/service.json)`);
    throw new CliError(2, `cannot read ${file}: ${(err as Error).message}`);
  }
}

/** Parses (not validates) a spec file; throws SPEC_PARSE with positions. */
export async function parseSpecFile(
  file: string,
  cwd: string,
): Promise<{ path: string; value: unknown; warnings: FieldError[] }> {
  const { path, text } = await readSpecText(file, cwd);
  const parsed = parseSpecText(text, { filename: basename(path) });
  if (parsed.errors.length > 0 || parsed.value === undefined) {
    throw new PierError('SPEC_PARSE', `cannot parse ${file}`, { errors: parsed.errors, warnings: parsed.warnings });
  }
  return { path, value: parsed.value, warnings: parsed.warnings };
}
