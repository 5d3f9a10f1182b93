import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CRD_YAML_PATH, crdYaml } from './crd-yaml.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

describe('deploy/kubernetes/crd.yaml', () => {
  it('is the CRD the code generates (run npm run crd after changing the spec or crd.ts)', () => {
    expect(readFileSync(path.join(root, CRD_YAML_PATH), 'utf8')).toBe(crdYaml());
  });
});
