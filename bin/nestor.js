#!/usr/bin/env node
// Entry point of the `nestor` command: runs the compiled CLI from dist/.
import { main } from '../dist/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => {
    console.error(`nestor: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 70;
  },
);
