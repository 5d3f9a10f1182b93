/**
 * The translation fixtures, shared by the unit test beside the translator and the
 * server-side dry run on the test control plane: every spec in
 * src/platform/kubernetes/translate/fixtures/*.json and examples/<dir>/service.json,
 * with the YAML file its objects are compared with.
 */

import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  desiredFromSpec,
  type KubeObject,
  manifestText,
  type TranslateConfig,
  translateService,
} from '../../src/platform/kubernetes/translate/index.js';
import { loadSpecText, type ServiceSpec } from '../../src/spec/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const FIXTURES_DIR = path.join(root, 'src/platform/kubernetes/translate/fixtures');

export const FIXTURE_CONFIG: TranslateConfig = { namespace: 'pier-fixtures', defaultImage: 'python:3.12-slim' };
/** A made-up Deployment uid, so that the fixtures show the ownerReferences. */
export const FIXTURE_OWNER_UID = '3f1c2b9e-0d4a-4c8e-9a57-2b6f1e0c7d11';

export interface FixtureCase {
  name: string;
  specPath: string;
  /** The YAML file the objects are compared with. */
  expected: string;
  spec: ServiceSpec;
  objects: KubeObject[];
}

export function loadFixtureSpec(file: string): ServiceSpec {
  const result = loadSpecText(readFileSync(file, 'utf8'), { filename: path.basename(file) });
  if (!result.ok || !result.spec) throw new Error(`${file} is not a valid spec: ${JSON.stringify(result.errors)}`);
  return result.spec;
}

export function fixtureCases(config: TranslateConfig = FIXTURE_CONFIG): FixtureCase[] {
  const inputs = [
    ...readdirSync(FIXTURES_DIR)
      .filter((f) => f.endsWith('.json'))
      .map((f) => ({ name: f.slice(0, -'.json'.length), specPath: path.join(FIXTURES_DIR, f) })),
    ...readdirSync(path.join(root, 'examples'), { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => ({ name: `example-${d.name}`, specPath: path.join(root, 'examples', d.name, 'service.json') })),
  ];
  return inputs.map(({ name, specPath }) => {
    const spec = loadFixtureSpec(specPath);
    const desired = desiredFromSpec(spec, config);
    return {
      name,
      specPath,
      expected: path.join(FIXTURES_DIR, `${name}.yaml`),
      spec,
      objects: translateService({ desired, config, ownerUid: FIXTURE_OWNER_UID }),
    };
  });
}

/** The objects as one multi-document YAML file, as `pier export -o yaml` prints them. */
export function fixtureYaml(objects: KubeObject[]): string {
  return manifestText(objects, 'yaml');
}
