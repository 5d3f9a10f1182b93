/** Shared by the spec tests: a valid base spec and short ways to change and check it. */

import { expect } from 'vitest';
import { mergeSpec, setPath, type ValidationResult, validateSpec } from '../../src/spec/index.js';

export const BASE = { name: 'svc', containers: [{ command: 'python3 app.py', port: 8000 }] };

/** BASE with `patch` merged in (objects merge, lists replace). */
export function spec(patch: Record<string, unknown> = {}): unknown {
  return mergeSpec(BASE, patch);
}

/** BASE with one field set by path. */
export function specWith(path: string, value: unknown): unknown {
  return setPath(BASE, path, value);
}

export function errorPaths(result: ValidationResult): string[] {
  return result.errors.map((e) => e.path);
}

/** Validates and expects exactly these error paths (in any order). */
export function expectErrors(input: unknown, paths: string[]): ValidationResult {
  const result = validateSpec(input);
  expect(errorPaths(result).sort()).toEqual([...paths].sort());
  expect(result.ok).toBe(paths.length === 0);
  return result;
}

export function expectOk(input: unknown): NonNullable<ValidationResult['spec']> {
  const result = validateSpec(input);
  expect(result.errors).toEqual([]);
  expect(result.ok).toBe(true);
  return result.spec!;
}

export function messageAt(result: ValidationResult, path: string): string {
  const found = result.errors.find((e) => e.path === path);
  expect(found, `an error at ${path}`).toBeDefined();
  return found!.message;
}

export function warningAt(result: ValidationResult, path: string): string {
  const found = result.warnings.find((e) => e.path === path);
  expect(found, `a warning at ${path}`).toBeDefined();
  return found!.message;
}
