import { describe, expect, it } from 'vitest';
import { loadSpecText, parseSpecText } from './index.js';

describe('parseSpecText', () => {
  it('reads JSON', () => {
    expect(parseSpecText('  {"name": "a", "n": [1, 2]}')).toEqual({
      value: { name: 'a', n: [1, 2] },
      errors: [],
      warnings: [],
    });
    expect(parseSpecText('\ufeff[1]').value).toEqual([1]);
  });

  it('accepts trailing commas with a warning that gives the place', () => {
    const r = parseSpecText('{\n  "a": [1, 2,],\n  "b": 1,\n}');
    expect(r.value).toEqual({ a: [1, 2], b: 1 });
    expect(r.errors).toEqual([]);
    expect(r.warnings.map((w) => w.message)).toEqual([
      'trailing comma at line 2, column 13 accepted; remove it to keep the file strict JSON',
      'trailing comma at line 3, column 9 accepted; remove it to keep the file strict JSON',
    ]);
    expect(r.warnings[0].path).toBe('');
  });

  it('gives line and column for syntax errors', () => {
    const cases: [string, string][] = [
      ['{\n  "name": "x"\n  "containers": []\n}', 'line 3, column 3'],
      ['{"a": tru}', 'line 1, column 7'],
      ['{"a": 1', 'line 1, column 8'],
      ['{\n "a": "open\n}', 'line 2, column 7'],
      ["{'a': 1}", 'line 1, column 2'],
      ['{"a": 1} x', 'line 1, column 10'],
      ['[1,,2]', 'line 1, column 4'],
    ];
    for (const [text, where] of cases) {
      const r = parseSpecText(text);
      expect(r.value).toBeUndefined();
      expect(r.errors).toHaveLength(1);
      expect(r.errors[0].path).toBe('');
      expect(r.errors[0].message).toContain(`invalid JSON at ${where}`);
    }
  });

  it('warns about a field written twice', () => {
    const r = parseSpecText('{"a": 1,\n "a": 2}');
    expect(r.value).toEqual({ a: 2 });
    expect(r.warnings[0].message).toMatch(/"a" is written twice.*line 2, column 2/);
  });

  it('reads YAML by file name or when the text is not JSON', () => {
    const yaml = 'name: svc\ncontainers:\n  - command: python3 app.py\n    port: 8000\n';
    expect(parseSpecText(yaml).value).toEqual({ name: 'svc', containers: [{ command: 'python3 app.py', port: 8000 }] });
    expect(parseSpecText('{"a": 1}', { filename: 'x.YML' }).value).toEqual({ a: 1 });
    const bad = parseSpecText('name: svc\ncontainers:\n  - command: [x\n', { filename: 'svc.yaml' });
    expect(bad.errors[0].message).toMatch(/^invalid YAML at line \d+, column \d+: /);
    expect(parseSpecText('a: 1\na: 2\n').errors[0].message).toMatch(/line 2, column 1/);
  });

  it('rejects empty text', () => {
    expect(parseSpecText(' \n').errors[0].message).toMatch(/empty/);
  });
});

describe('loadSpecText', () => {
  it('parses, validates and merges warnings', () => {
    const r = loadSpecText('{"name": "svc", "cloud": {}, "containers": [{"command": "a", "port": "8000"},],}');
    expect(r.ok).toBe(true);
    expect(r.spec?.containers[0].port).toBe(8000);
    expect(r.warnings.map((w) => w.path)).toEqual(['', '', 'cloud']);
  });

  it('stops at a syntax error', () => {
    const r = loadSpecText('{"name": }');
    expect(r.ok).toBe(false);
    expect(r.errors[0].message).toContain('line 1, column 10');
  });

  it('validates YAML the same way', () => {
    const r = loadSpecText(
      'name: svc\nmetadata:\n  rpc.keepalive: "10000"\ncontainers:\n  - {command: a, port: 8080}\n',
      {
        filename: 'svc.yaml',
      },
    );
    expect(r.errors.map((e) => e.path)).toEqual(['containers[0].port']);
  });
});
