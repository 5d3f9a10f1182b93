/** parseSpecText: JSON (trailing commas accepted with a warning) or YAML, with line and column in every error. */

import { parseDocument } from 'yaml';
import type { FieldError } from '../errors.js';
import { checkShape, tooDeepMessage } from './depth.js';
import { lineColumn, scanJson } from './json-scan.js';

export interface ParseResult {
  value?: unknown;
  errors: FieldError[];
  warnings: FieldError[];
}

export interface ParseOptions {
  /** Decides the format with the text: `.yaml`/`.yml` is YAML. */
  filename?: string;
}

function isYaml(text: string, filename?: string): boolean {
  if (filename && /\.ya?ml$/i.test(filename)) return true;
  return !/^\s*[{[]/.test(text);
}

function at(text: string, offset: number): string {
  const { line, column } = lineColumn(text, offset);
  return `line ${line}, column ${column}`;
}

function parseJson(text: string): ParseResult {
  const scan = scanJson(text);
  if (scan.error?.path !== undefined) {
    return { errors: [{ path: scan.error.path, message: tooDeepMessage(at(text, scan.error.offset)) }], warnings: [] };
  }
  if (scan.error) {
    return {
      errors: [{ path: '', message: `invalid JSON at ${at(text, scan.error.offset)}: ${scan.error.message}` }],
      warnings: [],
    };
  }
  const warnings: FieldError[] = [];
  let clean = text;
  for (const offset of scan.trailingCommas) {
    warnings.push({
      path: '',
      message: `trailing comma at ${at(text, offset)} accepted; remove it to keep the file strict JSON`,
    });
    clean = `${clean.slice(0, offset)} ${clean.slice(offset + 1)}`;
  }
  for (const dup of scan.duplicateKeys) {
    warnings.push({
      path: dup.path,
      message: `field ${JSON.stringify(dup.key)} is written twice in one object (again at ${at(text, dup.offset)}); the last one is used`,
    });
  }
  try {
    const value: unknown = JSON.parse(clean);
    const shape = checkShape(value);
    return shape ? { errors: [shape], warnings } : { value, errors: [], warnings };
  } catch (err) {
    // The scanner accepted it, so this should not happen; report rather than throw.
    return { errors: [{ path: '', message: `invalid JSON: ${(err as Error).message}` }], warnings };
  }
}

/** The yaml library recurses while it parses; its stack overflow is reported as this. */
const YAML_TOO_DEEP: ParseResult = { errors: [{ path: '', message: tooDeepMessage() }], warnings: [] };

const isStackOverflow = (err: unknown) => err instanceof RangeError || /call stack/i.test(String(err));

function parseYaml(text: string): ParseResult {
  let doc: ReturnType<typeof parseDocument>;
  try {
    doc = parseDocument(text, { prettyErrors: false });
  } catch (err) {
    if (isStackOverflow(err)) return YAML_TOO_DEEP;
    return { errors: [{ path: '', message: `invalid YAML: ${(err as Error).message}` }], warnings: [] };
  }
  const describeYaml = (e: { message: string; pos: [number, number] }) =>
    `invalid YAML at ${at(text, e.pos[0])}: ${e.message.split('\n')[0]}`;
  if (doc.errors.some((e) => isStackOverflow(e.message))) return YAML_TOO_DEEP;
  if (doc.errors.length > 0) {
    return { errors: doc.errors.map((e) => ({ path: '', message: describeYaml(e) })), warnings: [] };
  }
  const warnings = doc.warnings.map((w) => ({
    path: '',
    message: `YAML warning at ${at(text, w.pos[0])}: ${w.message.split('\n')[0]}`,
  }));
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    if (isStackOverflow(err)) return YAML_TOO_DEEP;
    return { errors: [{ path: '', message: `invalid YAML: ${(err as Error).message}` }], warnings };
  }
  const shape = checkShape(value);
  return shape ? { errors: [shape], warnings } : { value, errors: [], warnings };
}

export function parseSpecText(text: string, opts: ParseOptions = {}): ParseResult {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.trim() === '') {
    return {
      errors: [
        {
          path: '',
          message: 'the spec is empty; write a JSON object such as {"name": "my_model", "containers": [...]}',
        },
      ],
      warnings: [],
    };
  }
  return isYaml(body, opts.filename) ? parseYaml(body) : parseJson(body);
}
