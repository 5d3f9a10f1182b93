// The Node.js that Pier needs (package.json `engines`), checked by bin/pier.js before
// any dependency loads: on an older Node a user then reads how to get a new one, not a
// syntax error from a dependency or a native module's ABI mismatch. Plain JavaScript
// that any Node parses.
export const MINIMUM = [22, 12];

/** Why `version` (like process.versions.node) cannot run Pier, or undefined when it can. */
export function nodeTooOld(version) {
  const [major, minor] = version.split('.').map(Number);
  if (major > MINIMUM[0] || (major === MINIMUM[0] && minor >= MINIMUM[1])) return undefined;
  return [
    `pier: Node.js v${version} is too old; Pier needs Node.js >= ${MINIMUM.join('.')} (Node 24 LTS).`,
    '`npm install` in the Pier checkout puts Node 24 into node_modules/.bin, and npm runs',
    'Pier on it: use `npx pier …`, `npm start` or `npm test` rather than `node bin/pier.js`.',
    'Or install Node.js 24 LTS: https://nodejs.org/en/download',
    '',
  ].join('\n');
}
