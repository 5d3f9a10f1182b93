/**
 * Fixture tests (as traefik's provider tests): each spec in fixtures/ (the valid
 * specs of the compatibility corpus and our own) and each examples/<dir>/service.json
 * is translated, compared with the YAML beside it, and every object is validated
 * against the Kubernetes schemas. `UPDATE_FIXTURES=1 npx vitest run
 * src/platform/kubernetes/translate/fixtures.test.ts` rewrites the YAML files; review
 * the diff before committing it.
 */

import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateKubeObject } from '../../../../test/support/kubernetes-schema.js';
import { fixtureCases, fixtureYaml } from '../../../../test/support/kubernetes-fixtures.js';
import { kubernetesUnsupported } from './index.js';

const update = process.env.UPDATE_FIXTURES === '1';

describe('translation fixtures', () => {
  const cases = fixtureCases();
  it('covers the corpus and the examples', () => {
    expect(cases.length).toBeGreaterThanOrEqual(16);
  });
  for (const c of cases) {
    it(`${c.name}: matches ${path.basename(c.expected)} and the schemas`, () => {
      expect(kubernetesUnsupported(c.spec)).toBeNull();
      const yaml = fixtureYaml(c.objects);
      if (update) writeFileSync(c.expected, yaml);
      expect(yaml, `${c.expected} differs; UPDATE_FIXTURES=1 rewrites it`).toBe(readFileSync(c.expected, 'utf8'));
      for (const obj of c.objects) validateKubeObject(obj);
    });
  }
});
