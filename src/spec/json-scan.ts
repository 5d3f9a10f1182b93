/**
 * A small JSON syntax scanner. JSON.parse does the real parsing; this finds what it
 * cannot tell us: where a syntax error is (line and column, for every kind of
 * error) and where trailing commas are, so they can be accepted with a warning.
 */

export interface ScanResult {
  /** Offsets of commas followed only by whitespace and a closing bracket. */
  trailingCommas: number[];
  /** Keys written twice in one object: offset of the second. */
  duplicateKeys: { key: string; offset: number }[];
  error?: { offset: number; message: string };
}

class ScanError extends Error {
  constructor(
    readonly offset: number,
    message: string,
  ) {
    super(message);
  }
}

const NUMBER = /-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
const WS = /[ \t\n\r]*/y;
// biome-ignore lint/suspicious/noControlCharactersInRegex: JSON forbids raw control characters in strings; this finds them.
const STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;

export function scanJson(text: string): ScanResult {
  const result: ScanResult = { trailingCommas: [], duplicateKeys: [] };
  let i = 0;

  const ws = () => {
    WS.lastIndex = i;
    WS.exec(text);
    i = WS.lastIndex;
  };
  const found = () => (i >= text.length ? 'the end of the text' : `${JSON.stringify(text[i])}`);
  const fail = (what: string): never => {
    throw new ScanError(i, `expected ${what}, found ${found()}`);
  };

  const string = (): string => {
    STRING.lastIndex = i;
    const m = STRING.exec(text);
    if (!m) {
      const close = text.indexOf('"', i + 1);
      throw new ScanError(
        i,
        close < 0 ? 'string is not closed with "' : 'string has an invalid escape or a raw control character',
      );
    }
    i = STRING.lastIndex;
    return JSON.parse(m[0]) as string;
  };

  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      object();
      return;
    }
    if (c === '[') {
      array();
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
      if (keys.has(key)) result.duplicateKeys.push({ key, offset: at });
      keys.add(key);
      ws();
      if (text[i] !== ':') fail('":" after the field name');
      i++;
      value();
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
    for (;;) {
      value();
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
    result.error = { offset: err.offset, message: err.message };
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
