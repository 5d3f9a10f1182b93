/** Reads a spec file from disk and parses it locally, so parse errors come with line and column. */

import { readFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { quote } from 'shell-quote';
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
  return { path, value: substituteSpecDir(parsed.value, dirname(path)), warnings: parsed.warnings };
}

const SPEC_DIR = /\$\{PIER_SPEC_DIR\}|\$PIER_SPEC_DIR\b/g;

/**
 * `${PIER_SPEC_DIR}` in a spec is the directory of the spec file, so a command
 * such as `python3 ${PIER_SPEC_DIR}/app.py` works whatever directory the
 * instance runs in. It is replaced here, where the file is known; in `command`
 * and `script` the directory is shell-quoted so a path with spaces stays one word.
 */
export function substituteSpecDir(value: unknown, dir: string, key = ''): unknown {
  if (typeof value === 'string') {
    if (!value.includes('PIER_SPEC_DIR')) return value;
    const replacement = key === 'command' || key === 'script' ? quote([dir]) : dir;
    return value.replace(SPEC_DIR, () => replacement);
  }
  if (Array.isArray(value)) return value.map((v) => substituteSpecDir(v, dir, key));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substituteSpecDir(v, dir, k)]));
  }
  return value;
}
