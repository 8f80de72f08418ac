// Builds the native addon with node-gyp against the headers of the Node.js that runs this script.
// The header directory comes from process.execPath (e.g. /usr/bin/node -> /usr, headers in
// /usr/include/node), so node-gyp never tries to download headers or prebuilt binaries.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const nodedir = dirname(dirname(process.execPath));
const headers = join(nodedir, 'include', 'node', 'node_api.h');

if (!existsSync(headers)) {
  console.error(`nestor: Node.js headers not found at ${headers}; install the package that ships them ` +
    `(on Debian: nodejs with its headers, or libnode-dev) and run 'npm run build' again`);
  process.exit(1);
}

const gyp = require.resolve('node-gyp/bin/node-gyp.js');
const result = spawnSync(process.execPath, [gyp, 'rebuild', `--nodedir=${nodedir}`, '--jobs=2'], {
  stdio: 'inherit',
  env: { ...process.env, npm_config_nodedir: nodedir },
});
process.exit(result.status ?? 1);
