// Paths and small process utilities for the tests that run lease helpers in worker threads and
// child processes under plain `node`, with the TypeScript hooks of register-ts.mjs.

import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** node options that let a worker thread or child process load this project's .ts files. */
export const TS_EXEC_ARGV = ['--import', fileURLToPath(new URL('./register-ts.mjs', import.meta.url))];

/** The absolute path of a helper script in this folder. */
export function helperPath(file: string): string {
  return fileURLToPath(new URL(`./${file}`, import.meta.url));
}

/** Resolves with the exit code and signal once the child has exited and its output streams closed. */
export function waitForClose(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
}

/** Collects a child's output as text, and the complete lines of its stdout as they arrive. */
export function collectOutput(child: ChildProcess): { lines: string[]; stderr: () => string } {
  const lines: string[] = [];
  let partial = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  return { lines, stderr: () => stderr };
}
