// Vitest global setup of the integration project: compile the TypeScript once so the tests run the
// same `bin/nestor.js` an operator runs, and check the native addon is built.

import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export default function setup(): void {
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
  if (!existsSync('build/Release/nestor_native.node')) {
    throw new Error('native addon missing: run `npm run build` (npm ci builds it)');
  }
}
