#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx, so a clone needs no build step.
// The Node check comes first; everything else is imported only once it passed.
import { nodeTooOld } from './node-version.js';

const tooOld = nodeTooOld(process.versions.node);
if (tooOld) {
  process.stderr.write(tooOld);
  process.exit(1);
}
const { register } = await import('tsx/esm/api');
register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
