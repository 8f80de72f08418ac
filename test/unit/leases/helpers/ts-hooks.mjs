// Module hooks that let plain `node` (20, which cannot strip types) run the TypeScript sources that the
// lease tests start in worker threads and child processes. Each .ts file is transpiled on its own
// with the project's TypeScript; types are not checked here (tsc does that).

import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import ts from 'typescript';

/** Maps a relative './x.js' import to './x.ts' when only the TypeScript source exists, as tsc's NodeNext resolution does. */
export async function resolve(specifier, context, nextResolve) {
  if (specifier.endsWith('.js') && /^(\.|\/|file:)/.test(specifier) && context.parentURL?.endsWith('.ts')) {
    const candidate = new URL(specifier.replace(/\.js$/, '.ts'), context.parentURL);
    if (!existsSync(fileURLToPath(new URL(specifier, context.parentURL))) && existsSync(fileURLToPath(candidate))) {
      return nextResolve(candidate.href, context);
    }
  }
  return nextResolve(specifier, context);
}

export async function load(url, context, nextLoad) {
  if (!url.endsWith('.ts')) return nextLoad(url, context);
  const source = await readFile(fileURLToPath(url), 'utf8');
  const output = ts.transpileModule(source, {
    fileName: fileURLToPath(url),
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, sourceMap: false, verbatimModuleSyntax: false },
  });
  return { format: 'module', source: output.outputText, shortCircuit: true };
}
