/**
 * A small JSON syntax scanner. JSON.parse does the real parsing; this finds what it
 * cannot tell us: where a syntax error is (line and column, for every kind of
 * error) and where trailing commas are, so they can be accepted with a warning.
 * It also stops at MAX_DEPTH levels, so nothing recursive (this scanner included)
 * ever sees a document deep enough to overflow the stack.
 */

import { MAX_DEPTH, shortPath, tooDeepMessage } from './depth.js';
import type { PathSegment } from './format.js';

export interface ScanResult {
  /** Offsets of commas followed only by whitespace and a closing bracket. */
  trailingCommas: number[];
  /** Keys written twice in one object: offset of the second. */
  duplicateKeys: { key: string; offset: number; path: string }[];
  /** `path` is set when the error is about a value (nesting too deep), not the syntax. */
  error?: { offset: number; message: string; path?: string };
}

class ScanError extends Error {
  constructor(
    readonly offset: number,
    message: string,
    readonly path?: string,
  ) {
    super(message);
  }
}

const NUMBER = /-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
const WS = /[ \t\n\r]*/y;
const ESCAPES = new Set(['"', '\\', '/', 'b', 'f', 'n', 'r', 't']);
const HEX4 = /^[0-9a-fA-F]{4}$/;

export function scanJson(text: string): ScanResult {
  const result: ScanResult = { trailingCommas: [], duplicateKeys: [] };
  let i = 0;
  // Where the scanner is, for the error when the document is too deep.
  const path: PathSegment[] = [];

  const ws = () => {
    WS.lastIndex = i;
    WS.exec(text);
    i = WS.lastIndex;
  };
  const found = () => (i >= text.length ? 'the end of the text' : `${JSON.stringify(text[i])}`);
  const fail = (what: string): never => {
    throw new ScanError(i, `expected ${what}, found ${found()}`);
  };

  // A loop, not a regular expression: V8's regex engine overflows its stack on strings of some megabytes.
  const string = (): string => {
    const start = i;
    let k = i + 1;
    let escaped = false;
    for (;;) {
      if (k >= text.length) throw new ScanError(start, 'string is not closed with "');
      const c = text.charCodeAt(k);
      if (c === 0x22) break;
      if (c < 0x20) throw new ScanError(start, 'string has an invalid escape or a raw control character');
      if (c === 0x5c) {
        escaped = true;
        const e = text[k + 1];
        if (e === 'u' && HEX4.test(text.slice(k + 2, k + 6))) k += 6;
        else if (e !== undefined && ESCAPES.has(e)) k += 2;
        else throw new ScanError(start, 'string has an invalid escape or a raw control character');
      } else k++;
    }
    i = k + 1;
    return escaped ? (JSON.parse(text.slice(start, i)) as string) : text.slice(start + 1, k);
  };

  const enter = (): void => {
    if (path.length >= MAX_DEPTH) {
      const where = shortPath(path);
      throw new ScanError(i, tooDeepMessage(), where);
    }
  };

  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{' || c === '[') {
      enter();
      if (c === '{') object();
      else array();
      return;
    }
    if (c === '"') {
      string();
      return;
    }
    for (const word of ['true', 'false', 'null']) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return;
      }
    }
    NUMBER.lastIndex = i;
    if (NUMBER.exec(text)) {
      i = NUMBER.lastIndex;
      return;
    }
    fail('a value (object, list, string, number, true, false or null)');
  };

  const object = (): void => {
    i++;
    const keys = new Set<string>();
    ws();
    if (text[i] === '}') {
      i++;
      return;
    }
    for (;;) {
      ws();
      if (text[i] !== '"') fail('a field name in double quotes');
      const at = i;
      const key = string();
      if (keys.has(key)) result.duplicateKeys.push({ key, offset: at, path: shortPath([...path, key]) });
      keys.add(key);
      ws();
      if (text[i] !== ':') fail('":" after the field name');
      i++;
      path.push(key);
      value();
      path.pop();
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      if (text[i] !== ',') fail('"," or "}"');
      const comma = i++;
      ws();
      if (text[i] === '}') {
        result.trailingCommas.push(comma);
        i++;
        return;
      }
    }
  };

  const array = (): void => {
    i++;
    ws();
    if (text[i] === ']') {
      i++;
      return;
    }
    for (let index = 0; ; index++) {
      path.push(index);
      value();
      path.pop();
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      if (text[i] !== ',') fail('"," or "]"');
      const comma = i++;
      ws();
      if (text[i] === ']') {
        result.trailingCommas.push(comma);
        i++;
        return;
      }
    }
  };

  try {
    value();
    ws();
    if (i < text.length) fail('the end of the text after the value');
  } catch (err) {
    if (!(err instanceof ScanError)) throw err;
    result.error = { offset: err.offset, message: err.message, ...(err.path === undefined ? {} : { path: err.path }) };
  }
  return result;
}

/** 1-based line and column of an offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let k = 0; k < offset && k < text.length; k++) {
    if (text[k] === '\n') {
      line++;
      start = k + 1;
    }
  }
  return { line, column: offset - start + 1 };
}
