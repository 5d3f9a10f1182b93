// Builds better-sqlite3 for the Node that runs this script, from headers on disk.
//
// `npm install` runs this as the root `postinstall`, after every dependency is in place
// and with node_modules/.bin first on PATH, so `node` here is the Node 24 that the
// optional dependency node-linux-<arch> brought. better-sqlite3's own install script
// (`prebuild-install || node-gyp rebuild`) is denied in package.json's `allowScripts`:
// it would download a prebuilt binary or Node's headers, and on a machine whose npmrc
// sets `nodedir` for the system Node it would compile against the wrong headers.
// The Node tarball that npm serves carries its headers (include/node), which is what
// node-gyp's `--nodedir` takes (https://github.com/nodejs/node-gyp#command-options).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const say = (line) => process.stdout.write(`[native] ${line}\n`);
const node = `Node ${process.version} (ABI ${process.versions.modules})`;

let addonDir;
try {
  const require = createRequire(path.join(root, 'package.json'));
  addonDir = path.dirname(require.resolve('better-sqlite3/package.json'));
} catch {
  say('better-sqlite3 is not installed; nothing to build');
  process.exit(0);
}

/** Opens an in-memory database in a fresh process: the addon loads only if its ABI matches. */
function loads() {
  const probe = `new (require(${JSON.stringify(addonDir)}))(':memory:').close()`;
  return spawnSync(process.execPath, ['-e', probe], { stdio: 'ignore' }).status === 0;
}

/** The prefix of the running Node if it ships headers of the same version (official tarballs do). */
function headersOfThisNode() {
  const prefix = path.resolve(path.dirname(realpathSync(process.execPath)), '..');
  const versionH = path.join(prefix, 'include', 'node', 'node_version.h');
  if (!existsSync(versionH)) return undefined;
  const text = readFileSync(versionH, 'utf8');
  const part = (name) => text.match(new RegExp(`#define NODE_${name}_VERSION (\\d+)`))?.[1];
  const version = `${part('MAJOR')}.${part('MINOR')}.${part('PATCH')}`;
  return version === process.versions.node ? prefix : undefined;
}

if (loads()) {
  say(`better-sqlite3 is already built for ${node}`);
  process.exit(0);
}

// npm sets npm_config_node_gyp for the scripts it runs: the node-gyp that npm bundles.
const nodeGyp = process.env.npm_config_node_gyp;
if (!nodeGyp) {
  say('run this through npm (`npm install`, or `npm run postinstall`): it needs npm’s node-gyp');
  process.exit(1);
}
const nodedir = headersOfThisNode();
const args = [nodeGyp, 'rebuild', '--release', '--jobs=max'];
if (nodedir) args.push(`--nodedir=${nodedir}`);
say(`building better-sqlite3 for ${node} against ${nodedir ?? 'headers node-gyp downloads'}`);
const env = { ...process.env };
if (nodedir) env.npm_config_nodedir = nodedir;
else delete env.npm_config_nodedir; // a user-wide nodedir may belong to another Node
// The compiler's output (hundreds of warnings from sqlite3.c) is shown only when the build fails.
const build = spawnSync(process.execPath, args, {
  cwd: addonDir,
  env,
  stdio: ['ignore', 'pipe', 'pipe'],
  encoding: 'utf8',
  maxBuffer: 64 * 1024 * 1024,
});
if (build.status !== 0 || !loads()) {
  process.stderr.write(`${build.stdout ?? ''}${build.stderr ?? ''}${build.error ? `${build.error}\n` : ''}`);
  say(`building better-sqlite3 failed (exit ${build.status}); it needs python3, make and a C++ compiler`);
  process.exit(1);
}
say(`better-sqlite3 built for ${node}`);
