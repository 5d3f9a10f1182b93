/**
 * What a container's `prepare` asks pip to install, and the key its environment is
 * cached under. Pure apart from reading `pythonRequirementsPath`.
 */

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { PrepareSpec } from '../../spec/index.js';
import type { PipConfig } from '../types.js';

export interface Requirements {
  /** `prepare.pythonRequirements`, as written. */
  lines: string[];
  /** Absolute path of `prepare.pythonRequirementsPath`, passed to pip as `-r`. */
  file?: string;
  /** Its content when read, part of the cache key. */
  fileText?: string;
}

export type RequirementsResult = { ok: true; requirements: Requirements | null } | { ok: false; message: string };

/**
 * The container's requirements, or null when it has none. A relative
 * `pythonRequirementsPath` is relative to `baseDir` (the instance's working dir).
 */
export function readRequirements(c: { prepare?: PrepareSpec }, path: string, baseDir: string): RequirementsResult {
  const lines = (c.prepare?.pythonRequirements ?? []).map((l) => l.trim()).filter((l) => l !== '');
  const given = c.prepare?.pythonRequirementsPath;
  if (lines.length === 0 && !given) return { ok: true, requirements: null };
  if (!given) return { ok: true, requirements: { lines } };
  const file = isAbsolute(given) ? given : resolve(baseDir, given);
  try {
    return { ok: true, requirements: { lines, file, fileText: readFileSync(file, 'utf8') } };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    return {
      ok: false,
      message:
        `${path}.prepare.pythonRequirementsPath ${JSON.stringify(given)}: cannot read ${file} (${code}); ` +
        'give an absolute path (the CLI substitutes ${PIER_SPEC_DIR}) or one relative to the instance working directory',
    };
  }
}

/** 16 hex digits over everything that decides what ends up installed. */
export function requirementsHash(req: Requirements, python: string, pip: PipConfig = {}, image?: string): string {
  const key = JSON.stringify({
    python,
    image: image ?? null,
    lines: req.lines,
    fileText: req.fileText ?? null,
    pip: { indexUrl: pip.indexUrl, findLinks: pip.findLinks, noIndex: pip.noIndex, extraArgs: pip.extraArgs },
  });
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}

/**
 * `pip install` options from Pier's configuration (and `options`), then `--`,
 * then what the spec asks to install: a requirement written like an option
 * (`-r/etc/passwd`, `--index-url=…`) is a requirement pip refuses, not an
 * option it obeys (issue 12). `-r FILE` takes its value whatever it looks like.
 */
export function pipInstallArgs(
  req: Requirements,
  pip: PipConfig = {},
  file = req.file,
  findLinks = pip.findLinks,
  options: string[] = [],
): string[] {
  const args = ['install', '--disable-pip-version-check', '--no-input', '--progress-bar', 'off'];
  if (pip.indexUrl) args.push('--index-url', pip.indexUrl);
  for (const dir of findLinks ?? []) args.push('--find-links', dir);
  if (pip.noIndex) args.push('--no-index');
  args.push(...(pip.extraArgs ?? []), ...options);
  if (file) args.push('-r', file);
  args.push('--', ...req.lines);
  return args;
}
