/** deploy/kubernetes/crd.yaml as text: the CRD the code installs (`npm run crd` writes it; crd.test.ts checks it). */

import { stringify } from 'yaml';
import { pierServiceCrd } from './crd.js';

export const CRD_YAML_PATH = 'deploy/kubernetes/crd.yaml';

export function crdYaml(): string {
  const header =
    '# Generated from src/platform/kubernetes/resources/crd.ts by `npm run crd`; do not edit.\n' +
    '# The schema of .spec is generated from the spec validator (src/spec/json-schema.ts).\n';
  return header + stringify(pierServiceCrd(), { aliasDuplicateObjects: false, lineWidth: 0 });
}
