/** The objects as text, the way `kubectl apply -f` reads them. */

import { stringify } from 'yaml';
import type { KubeObject } from './translate.js';

/** YAML: one document per object. JSON: a v1 List, which kubectl also reads. */
export function manifestText(objects: KubeObject[], format: 'yaml' | 'json'): string {
  if (format === 'json') return `${JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }, null, 2)}\n`;
  // No YAML anchors: each object reads on its own.
  return objects.map((o) => `---\n${stringify(o, { aliasDuplicateObjects: false })}`).join('');
}
