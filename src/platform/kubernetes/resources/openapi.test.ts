import { describe, expect, it } from 'vitest';
import { specJsonSchema } from '../../../spec/index.js';
import { StructuralSchemaError, structuralSchema } from './openapi.js';

describe('structuralSchema', () => {
  it.each([
    [
      { type: ['integer', 'string'], minimum: 0 },
      { 'x-kubernetes-int-or-string': true, minimum: 0 },
    ],
    [
      { type: ['number', 'string'], pattern: '^1$' },
      { 'x-kubernetes-preserve-unknown-fields': true, pattern: '^1$' },
    ],
    [
      { type: 'number', exclusiveMinimum: 0 },
      { type: 'number', minimum: 0, exclusiveMinimum: true },
    ],
    [
      { type: 'object', properties: { a: { type: 'string' } }, additionalProperties: true },
      { type: 'object', properties: { a: { type: 'string' } }, 'x-kubernetes-preserve-unknown-fields': true },
    ],
    [
      { type: 'object', additionalProperties: { type: 'integer' } },
      { type: 'object', additionalProperties: { type: 'integer' } },
    ],
    [
      { type: 'array', items: { type: 'string' }, maxItems: 2 },
      { type: 'array', items: { type: 'string' }, maxItems: 2 },
    ],
  ] as const)('%j → %j', (input, want) => {
    expect(structuralSchema(structuredClone(input) as never)).toEqual(want);
  });

  it.each([
    [{}, 'without a type'],
    [{ type: 'array' }, 'without items'],
    [
      { type: 'object', properties: { a: { type: 'string' } }, additionalProperties: { type: 'string' } },
      'beside properties',
    ],
    [{ type: 'string', $ref: '#/x' }, 'no conversion'],
  ])('refuses %j', (input, message) => {
    expect(() => structuralSchema(input as never)).toThrow(StructuralSchemaError);
    expect(() => structuralSchema(input as never)).toThrow(message);
  });

  it('converts the whole spec, typing every field it names', () => {
    const schema = structuralSchema(specJsonSchema());
    const walk = (s: Record<string, unknown>, at: string): void => {
      const typed =
        s.type !== undefined || s['x-kubernetes-int-or-string'] || s['x-kubernetes-preserve-unknown-fields'];
      expect(typed, at).toBeTruthy();
      for (const [k, v] of Object.entries((s.properties ?? {}) as Record<string, Record<string, unknown>>))
        walk(v, `${at}.${k}`);
      if (s.items) walk(s.items as Record<string, unknown>, `${at}[]`);
      if (s.additionalProperties) walk(s.additionalProperties as Record<string, unknown>, `${at}.*`);
    };
    walk(schema as Record<string, unknown>, 'spec');
    expect(schema.required).toEqual(['containers']);
    expect(Object.keys(schema.properties ?? {})).toContain('autoscaler');
  });
});
