import { describe, expect, it } from 'vitest';

import { findCommandEnd, parseCommand, stripComments } from '../../../src/control/parse.js';

describe('control parse: findCommandEnd', () => {
  it.each([
    ['a whole map', '{"command": "x"}', 16],
    ['a map followed by more text', '{"command": "x"}\n{"command"', 16],
    ['braces inside strings', '{"command": "x", "arguments": {"a": "}{"}}', 42],
    ['an escaped quote', '{"command": "x\\"}"}', 19],
    ['leading whitespace and comments', ' # c\n// d\n/* e */ {}', 20],
    ['a comment inside the map', '{ /* } */ }', 11],
  ])('finds the end of %s', (_name, text, end) => {
    expect(findCommandEnd(text)).toBe(end);
  });

  it.each([
    ['an open map', '{"command": "x"'],
    ['an open string', '{"command": "x'],
    ['an open block comment', '/* x'],
    ['nothing', '   '],
  ])('needs more input for %s', (_name, text) => {
    expect(findCommandEnd(text)).toBe('incomplete');
  });

  it('rejects a first character other than {', () => {
    expect(findCommandEnd('[1]')).toBe("invalid first character '[' (a command is a JSON map starting with '{')");
  });
});

describe('control parse: comments', () => {
  it('blanks comments but keeps strings that look like comments', () => {
    expect(stripComments('{"a": "# not // a /* comment"} # real')).toBe('{"a": "# not // a /* comment"}       ');
  });

  it('parses a command with every comment style', () => {
    expect(parseCommand('{ "command": "x", # one\n // two\n /* three */ "arguments": {} }')).toEqual({ command: 'x', arguments: {}, service: undefined });
  });
});
