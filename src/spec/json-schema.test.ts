import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { num, obj, oneOf, str } from './fields.js';
import { specJsonSchema } from './index.js';
import { anyCase, SchemaExportError, toJsonSchema } from './json-schema.js';

describe('toJsonSchema', () => {
  it('describes objects, required fields and lenient scalars from the builders', () => {
    const schema = obj({ a: num({ int: true, min: 1, max: 5, required: true }), b: str({ nonEmpty: true }) });
    expect(toJsonSchema(schema)).toMatchObject({
      type: 'object',
      additionalProperties: true,
      required: ['a'],
      properties: { a: { type: ['integer', 'string'], minimum: 1, maximum: 5 }, b: { type: 'string', minLength: 1 } },
    });
  });

  it('matches enum values in any case, as oneOf does', () => {
    const pattern = new RegExp(toJsonSchema(oneOf(['eci', 'eci_only'] as const)).pattern ?? '');
    expect(['ECI', ' Eci_Only ', 'eci'].every((v) => pattern.test(v))).toBe(true);
    expect(pattern.test('spot')).toBe(false);
    expect(anyCase('queue[avgbacklog]')).toContain('\\[');
  });

  it('names a field no builder described', () => {
    expect(() => toJsonSchema(obj({ raw: z.unknown().transform((v) => v) }))).toThrow(SchemaExportError);
  });

  it('describes the whole spec', () => {
    const schema = specJsonSchema();
    expect(schema.required).toEqual(['containers']);
    expect(schema.properties?.containers?.items?.properties?.port?.maximum).toBe(65535);
  });
});
