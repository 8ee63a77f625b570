import { describe, expect, test } from '@jest/globals';
import { parseYaml, YamlError } from './yaml.js';

describe('YAML subset', () => {
  test('nested mappings, both sequence forms, scalars and comments', () => {
    const text = [
      '---',
      '# a policy',
      'a: 1',
      'b: -2.5e3',
      'c: true',
      'd: ~',
      'e: plain text # comment',
      'f: "quoted # not a comment"',
      "g: 'it''s'",
      'h:',
      '  i: [x, "y, z", 3]',
      '  j:',
      '    - one',
      '    - 2',
      '  k: []',
      'l:',
      '- same-indent item',
      'url: http://x/y#frag',
    ].join('\n');
    expect(parseYaml(text)).toEqual({
      a: 1,
      b: -2500,
      c: true,
      d: null,
      e: 'plain text',
      f: 'quoted # not a comment',
      g: "it's",
      h: { i: ['x', 'y, z', 3], j: ['one', 2], k: [] },
      l: ['same-indent item'],
      url: 'http://x/y#frag',
    });
  });
  test('empty documents are null', () => {
    expect(parseYaml('')).toBeNull();
    expect(parseYaml('# nothing\n\n')).toBeNull();
  });
  test.each([
    ['a: 1\n  b: 2\n', 2, 'unexpected indentation'],
    ['a:\n\tb: 1\n', 2, 'tabs'],
    ['a: 1\na: 2\n', 2, 'duplicate key'],
    ['a: &x 1\n', 1, 'unsupported'],
    ['a: {b: 1}\n', 1, 'unsupported'],
    ['a: [1, [2]]\n', 1, 'nested'],
    ['a: "open\n', 1, 'unterminated'],
    ['a: [1, 2\n', 1, 'unterminated'],
    ['- a: 1\n', 1, 'mappings inside sequences'],
    ['a:\n  - x\n  y: 1\n', 3, 'unexpected indentation'],
    ['- x\ny: 1\n', 2, 'unexpected'],
    ['just words\nmore: 1\n', 2, 'unexpected'],
  ])('%j fails at line %d (%s)', (text, line, message) => {
    let error: unknown = null;
    try {
      parseYaml(text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(YamlError);
    expect((error as YamlError).line).toBe(line);
    expect((error as YamlError).message).toContain(message);
  });
});
