/**
 * `pier export SPEC|SERVICE --platform kubernetes`: the objects a service becomes on
 * Kubernetes, printed for review or GitOps. A spec file needs no server; a service
 * name is read from the running server (its current revision and desired count).
 */

import { existsSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { PierError } from '../../errors.js';
import {
  DEFAULT_IMAGE,
  desiredFromSpec,
  type KubeObject,
  kubernetesUnsupported,
  translateService,
} from '../../platform/kubernetes/translate/index.js';
import { loadSpecText, type ServiceSpec } from '../../spec/index.js';
import type { CommandContext } from '../context.js';
import { CliError } from '../errors.js';
import { readSpecText } from '../spec-file.js';

export interface ExportOptions {
  namespace?: string;
  defaultImage?: string;
}

export interface ExportResult {
  objects: KubeObject[];
  /** For stderr: what the manifests cannot carry. */
  warnings: string[];
}

const SPEC_FILE = /\.(json|ya?ml)$/i;

export async function exportManifests(
  ctx: Pick<CommandContext, 'cwd' | 'client'>,
  target: string,
  opts: ExportOptions,
): Promise<ExportResult> {
  const config = { namespace: opts.namespace ?? 'default', defaultImage: opts.defaultImage ?? DEFAULT_IMAGE };
  const warnings: string[] = [];
  let spec: ServiceSpec;
  let revision = 1;
  let replicas: number | undefined;
  if (SPEC_FILE.test(target) || existsSync(resolve(ctx.cwd, target))) {
    const { path, text } = await readSpecText(target, ctx.cwd);
    const result = loadSpecText(text, { filename: basename(path) });
    if (!result.ok || !result.spec) {
      throw new PierError('SPEC_INVALID', `${target} is not a valid spec`, {
        errors: result.errors,
        warnings: result.warnings,
      });
    }
    spec = result.spec;
  } else {
    const desc = await ctx.client.describe(target);
    spec = desc.spec;
    revision = desc.revision;
    replicas = desc.desired;
    if (spec.dockerAuth !== undefined) {
      // The server never returns dockerAuth (it shows '***'), so the pull Secret cannot be made from it.
      const { dockerAuth: _, ...rest } = spec;
      spec = rest as ServiceSpec;
      warnings.push(
        `${target} has a dockerAuth, which the server never returns; the image pull Secret is left out (export the spec file to get it)`,
      );
    }
  }
  const reason = kubernetesUnsupported(spec);
  if (reason) throw new CliError(2, `${spec.name} cannot run on Kubernetes: ${reason}`);
  if (spec.containers.some((c) => /PIER_SPEC_DIR/.test(`${c.command ?? ''}${c.script ?? ''}`))) {
    warnings.push(
      '${PIER_SPEC_DIR} is the spec file\'s directory on this machine and is empty in a pod; put the files in the image and name their path, or set PIER_SPEC_DIR in "env"',
    );
  }
  const desired = desiredFromSpec(spec, config, { revision, ...(replicas !== undefined ? { replicas } : {}) });
  const objects = translateService({ desired, config });
  return { objects, warnings };
}
