/** Test helper: a minimal pure-python wheel written by hand (zipfile), so tests need no network or `wheel`. */

import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const SCRIPT = `
import sys, zipfile
out, name, version, body = sys.argv[1:5]
info = f"{name}-{version}.dist-info"
files = {
    f"{name}/__init__.py": body,
    f"{info}/METADATA": f"Metadata-Version: 2.1\\nName: {name}\\nVersion: {version}\\n",
    f"{info}/WHEEL": "Wheel-Version: 1.0\\nGenerator: pier-test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n",
}
with zipfile.ZipFile(f"{out}/{name}-{version}-py3-none-any.whl", "w") as z:
    for path, text in files.items():
        z.writestr(path, text)
    z.writestr(f"{info}/RECORD", "".join(f"{p},,\\n" for p in [*files, f"{info}/RECORD"]))
`;

/** Writes `<dir>/<name>-<version>-py3-none-any.whl` whose `__init__.py` is `body`; returns `dir`. */
export function buildWheel(dir: string, name: string, body: string, version = '1.0'): string {
  mkdirSync(dir, { recursive: true });
  execFileSync('python3', ['-c', SCRIPT, dir, name, version, body]);
  return join(dir);
}
