// Module hooks that let plain `node` (20, which cannot strip types) run the TypeScript sources that the
// lease tests start in worker threads and child processes. Each .ts file is transpiled on its own;
// types are not checked here (tsc does that). They use the oxc transformer that vitest installs
// through rolldown, which loads in about 20 ms. The project's TypeScript compiler is the fallback,
// but it takes about 0.4 s to load in every process and thread, longer than the tests themselves.

import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const transpile = await loadTranspiler();

async function loadTranspiler() {
  try {
    const { transformSync } = await import('rolldown/utils');
    return (source, path) => {
      const result = transformSync(path, source, { sourcemap: false });
      if (result.errors?.length) throw new Error(`${path}: ${result.errors.map((e) => e.message).join('; ')}`);
      return result.code;
    };
  } catch {
    const { default: ts } = await import('typescript');
    return (source, path) =>
      ts.transpileModule(source, {
        fileName: path,
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, sourceMap: false },
      }).outputText;
  }
}

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
  const path = fileURLToPath(url);
  const source = await readFile(path, 'utf8');
  return { format: 'module', source: transpile(source, path), shortCircuit: true };
}
