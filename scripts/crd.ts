// Writes deploy/kubernetes/crd.yaml from the code (src/platform/kubernetes/resources/crd-yaml.ts).
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CRD_YAML_PATH, crdYaml } from '../src/platform/kubernetes/resources/crd-yaml.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
writeFileSync(path.join(root, CRD_YAML_PATH), crdYaml());
console.log(`wrote ${CRD_YAML_PATH}`);
