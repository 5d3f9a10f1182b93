/**
 * The PierService custom resource: one per service, `.spec` the EAS service spec
 * exactly as `pier create` takes it, `.status` what `pier desc` shows. The schema of
 * `.spec` is generated from the validator's own (src/spec/json-schema.ts, made
 * structural in openapi.ts), so the apiserver refuses a wrong type, a value out of
 * range or an unknown enum value with its field path; what the schema cannot say
 * (cross-field rules) Pier's validator reports in the SpecValid condition.
 * https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/
 */

import { specJsonSchema } from '../../../spec/index.js';
import type { KubeObject } from '../translate/index.js';
import { structuralSchema } from './openapi.js';

export const GROUP = 'pier.dev';
export const VERSION = 'v1alpha1';
export const KIND = 'PierService';
export const PLURAL = 'pierservices';
export const API_VERSION = `${GROUP}/${VERSION}`;
/** Held by every PierService until Pier has deleted its service (kubectl delete waits for it). */
export const FINALIZER = 'pier.dev/service';

const string = { type: 'string' };
const integer = { type: 'integer' };

const statusSchema = {
  type: 'object',
  properties: {
    observedGeneration: { type: 'integer', format: 'int64' },
    /** The service name Pier uses (the EAS name may differ from metadata.name). */
    service: string,
    status: string,
    reason: string,
    message: string,
    revision: integer,
    desired: integer,
    /** "ready/desired", for the printer column. */
    ready: string,
    instances: {
      type: 'object',
      properties: { total: integer, pending: integer, running: integer, ready: integer },
    },
    endpoint: string,
    /** Name of the Secret holding the service token. */
    tokenSecret: string,
    conditions: {
      type: 'array',
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['type'],
      items: {
        type: 'object',
        required: ['type', 'status'],
        properties: {
          type: string,
          status: { type: 'string', enum: ['True', 'False', 'Unknown'] },
          reason: string,
          message: string,
          lastTransitionTime: { type: 'string', format: 'date-time' },
          observedGeneration: { type: 'integer', format: 'int64' },
        },
      },
    },
  },
};

/** The CustomResourceDefinition Pier installs (and deploy/kubernetes ships). */
export function pierServiceCrd(): KubeObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${PLURAL}.${GROUP}`, labels: { 'app.kubernetes.io/managed-by': 'pier' } },
    spec: {
      group: GROUP,
      scope: 'Namespaced',
      names: { plural: PLURAL, singular: 'pierservice', kind: KIND, listKind: `${KIND}List`, shortNames: ['psvc'] },
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [
            { name: 'Status', type: 'string', jsonPath: '.status.status' },
            { name: 'Ready', type: 'string', jsonPath: '.status.ready' },
            { name: 'Revision', type: 'integer', jsonPath: '.status.revision' },
            { name: 'Endpoint', type: 'string', jsonPath: '.status.endpoint', priority: 1 },
            { name: 'Reason', type: 'string', jsonPath: '.status.reason', priority: 1 },
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
          schema: {
            openAPIV3Schema: {
              type: 'object',
              required: ['spec'],
              properties: {
                apiVersion: string,
                kind: string,
                metadata: { type: 'object' },
                spec: {
                  ...structuralSchema(specJsonSchema()),
                  description:
                    'The EAS service spec, as `pier create` takes it (docs/spec.md). The apiserver checks types, ranges and values; Pier validates the rest and reports errors in status.conditions with their JSON path.',
                },
                status: statusSchema,
              },
            },
          },
        },
      ],
    },
  };
}
