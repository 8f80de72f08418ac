// Reader for Kea's JSON dialect: standard JSON plus `#`, `//` and `/* */` comments outside
// strings, numbers with a leading dot (".5"), and `<?include "file"?>` directives that splice
// another file's text in place (the path is relative to the including file). Errors name the
// file, line and column. This parser replaces JSON.parse because Node's messages do not always
// give a position, and because comments and includes must be resolved with their positions.

import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

import { nestorError } from '../errors.js';
import type { NestorError } from '../errors.js';
import type { ConfigIssue } from './types.js';

/** Maximum nesting of include directives; Kea's own limit is also 10. */
const MAX_INCLUDE_DEPTH = 10;

const INCLUDE = /^<\?include\s*"([^"]*)"\s*\?>/;

export interface ReadResult {
  value: unknown;
  /** Duplicate keys and similar findings that do not stop the read. */
  warnings: ConfigIssue[];
}

interface Source {
  file: string;
  text: string;
  pos: number;
  line: number;
  column: number;
}

/** Reads and parses a Kea JSON file; throws a NestorError (CONFIG_READ, CONFIG_SYNTAX, CONFIG_INCLUDE). */
export function readKeaJsonFile(path: string): ReadResult {
  const file = resolve(path);
  return new KeaJsonParser(readSourceFile(file, path), file).parseDocument();
}

/** Parses Kea JSON text; includes resolve against the directory of sourcePath. */
export function parseKeaJson(text: string, sourcePath: string): ReadResult {
  return new KeaJsonParser(text, resolve(sourcePath)).parseDocument();
}

/** Builds the error for a problem at location ("file" or "file:line:column"); data keeps both parts. */
function located(key: 'CONFIG_READ' | 'CONFIG_SYNTAX' | 'CONFIG_INCLUDE', location: string, reason: string): NestorError {
  return nestorError(key, `${location}: ${reason}`, { location, reason });
}

/** Reasons a file cannot be read, in words, by the errno code that Node reports. */
const READ_FAILURES: Readonly<Record<string, string>> = {
  ENOENT: 'not found',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory',
  ENOTDIR: 'a part of the path is not a directory',
  ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'the path is too long',
  EMFILE: 'too many open files',
  EIO: 'input/output error',
};

function readSourceFile(file: string, shownPath: string, from?: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const reason = describeReadFailure(err);
    if (from !== undefined) throw located('CONFIG_INCLUDE', from, `cannot read included file '${shownPath}': ${reason}`);
    throw located('CONFIG_READ', shownPath, `cannot read the configuration file: ${reason}`);
  }
}

/** "not found (ENOENT)": the failure in words with Node's code; the error's own text for other codes. */
function describeReadFailure(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === undefined) return String(err);
  const words = READ_FAILURES[code];
  if (words !== undefined) return `${words} (${code})`;
  return err instanceof Error ? err.message : code;
}

class KeaJsonParser {
  private readonly stack: Source[];
  private readonly warnings: ConfigIssue[] = [];

  constructor(text: string, file: string) {
    this.stack = [{ file, text, pos: 0, line: 1, column: 1 }];
  }

  parseDocument(): ReadResult {
    this.skipTrivia();
    const value = this.parseValue('');
    this.skipTrivia();
    if (!this.atEnd()) this.fail('unexpected text after the end of the JSON document');
    return { value, warnings: this.warnings };
  }

  private get src(): Source {
    return this.stack[this.stack.length - 1];
  }

  private atEnd(): boolean {
    return this.stack.length === 1 && this.src.pos >= this.src.text.length;
  }

  private peek(): string {
    return this.src.text[this.src.pos] ?? '';
  }

  private advance(count = 1): void {
    const s = this.src;
    for (let i = 0; i < count && s.pos < s.text.length; i++) {
      if (s.text[s.pos] === '\n') {
        s.line++;
        s.column = 1;
      } else {
        s.column++;
      }
      s.pos++;
    }
  }

  private where(): string {
    return `${this.src.file}:${this.src.line}:${this.src.column}`;
  }

  private fail(reason: string): never {
    throw located('CONFIG_SYNTAX', this.where(), reason);
  }

  /** Skips whitespace and comments, enters include directives and leaves finished included files. */
  private skipTrivia(): void {
    for (;;) {
      const s = this.src;
      const c = this.peek();
      if (c === '' && this.stack.length > 1) {
        this.stack.pop();
      } else if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
        this.advance();
      } else if (c === '#' || s.text.startsWith('//', s.pos)) {
        while (this.peek() !== '' && this.peek() !== '\n') this.advance();
      } else if (s.text.startsWith('/*', s.pos)) {
        const end = s.text.indexOf('*/', s.pos + 2);
        if (end < 0) this.fail('comment opened with /* is never closed');
        this.advance(end + 2 - s.pos);
      } else if (s.text.startsWith('<?include', s.pos)) {
        this.enterInclude();
      } else {
        return;
      }
    }
  }

  private enterInclude(): void {
    const s = this.src;
    const match = INCLUDE.exec(s.text.slice(s.pos, s.pos + 4200));
    if (!match) this.fail('malformed include directive (expected <?include "file"?>)');
    const from = this.where();
    const file = resolve(dirname(s.file), match[1]);
    this.advance(match[0].length);

    if (this.stack.some((open) => open.file === file)) {
      const chain = [...this.stack.map((open) => open.file), file].join(' → ');
      throw located('CONFIG_INCLUDE', from, `include cycle ${chain}`);
    }
    if (this.stack.length > MAX_INCLUDE_DEPTH) {
      throw located('CONFIG_INCLUDE', from, `includes are nested more than ${MAX_INCLUDE_DEPTH} deep`);
    }
    this.stack.push({ file, text: readSourceFile(file, match[1], from), pos: 0, line: 1, column: 1 });
  }

  private parseValue(path: string): unknown {
    const c = this.peek();
    if (c === '{') return this.parseObject(path);
    if (c === '[') return this.parseArray(path);
    if (c === '"') return this.parseString();
    if (c === '-' || c === '.' || (c >= '0' && c <= '9')) return this.parseNumber();
    for (const [word, value] of [['true', true], ['false', false], ['null', null]] as const) {
      if (this.src.text.startsWith(word, this.src.pos)) {
        this.advance(word.length);
        return value;
      }
    }
    if (c === '') this.fail('unexpected end of input (expected a value)');
    return this.fail(`unexpected character '${c}' (expected a value)`);
  }

  private parseObject(path: string): Record<string, unknown> {
    const result: Record<string, unknown> = {};
    this.advance();
    this.skipTrivia();
    if (this.peek() === '}') {
      this.advance();
      return result;
    }
    for (;;) {
      if (this.peek() !== '"') this.fail('expected a double-quoted key');
      const keyWhere = this.where();
      const key = this.parseString();
      const keyPath = path === '' ? key : `${path}.${key}`;
      this.skipTrivia();
      if (this.peek() !== ':') this.fail(`expected ':' after the key "${key}"`);
      this.advance();
      this.skipTrivia();
      if (Object.hasOwn(result, key)) {
        this.warnings.push({ severity: 'warning', path: keyPath, message: `duplicate key at ${keyWhere}, the last value is used` });
      }
      Object.defineProperty(result, key, { value: this.parseValue(keyPath), enumerable: true, writable: true, configurable: true });
      this.skipTrivia();
      const next = this.peek();
      if (next !== ',' && next !== '}') this.fail(`expected ',' or '}' after the value of "${key}"`);
      this.advance();
      if (next === '}') return result;
      this.skipTrivia();
    }
  }

  private parseArray(path: string): unknown[] {
    const result: unknown[] = [];
    this.advance();
    this.skipTrivia();
    if (this.peek() === ']') {
      this.advance();
      return result;
    }
    for (;;) {
      result.push(this.parseValue(`${path}[${result.length}]`));
      this.skipTrivia();
      const next = this.peek();
      if (next !== ',' && next !== ']') this.fail(`expected ',' or ']' after array element ${result.length - 1}`);
      this.advance();
      if (next === ']') return result;
      this.skipTrivia();
    }
  }

  private parseString(): string {
    this.advance();
    let out = '';
    for (;;) {
      const c = this.peek();
      if (c === '' || c === '\n') this.fail('string is not closed before the end of the line');
      this.advance();
      if (c === '"') return out;
      if (c !== '\\') {
        if (c < ' ') this.fail('control character inside a string (use an escape such as \\t)');
        out += c;
        continue;
      }
      out += this.parseEscape();
    }
  }

  private parseEscape(): string {
    const c = this.peek();
    this.advance();
    const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
    if (c in simple) return simple[c];
    if (c === 'u') {
      const hex = this.src.text.slice(this.src.pos, this.src.pos + 4);
      if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail('invalid \\u escape (expected four hex digits)');
      this.advance(4);
      return String.fromCharCode(parseInt(hex, 16));
    }
    return this.fail(`invalid escape '\\${c}' in a string`);
  }

  private parseNumber(): number {
    const s = this.src;
    const match = /^-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?/.exec(s.text.slice(s.pos, s.pos + 400));
    if (!match) this.fail('invalid number');
    this.advance(match[0].length);
    return Number(match[0]);
  }
}
