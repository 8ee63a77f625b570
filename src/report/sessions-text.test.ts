import { describe, expect, test } from '@jest/globals';
import { alignRows, compactBytes } from './sessions-text.js';

describe('sessions text helpers', () => {
  test('compact bytes: exact below 10000, SI units above, never "1000.0k"', () => {
    expect(compactBytes(0)).toBe('0');
    expect(compactBytes(9999)).toBe('9999');
    expect(compactBytes(10000)).toBe('10.0k');
    expect(compactBytes(626_213)).toBe('626.2k');
    expect(compactBytes(999_960)).toBe('1.0M');
    expect(compactBytes(1_234_567_890)).toBe('1.2G');
  });

  test('columns align; the last runs on; the arrow column takes single spaces', () => {
    const lines = alignRows(
      [
        { title: 'n', align: 'right' },
        { title: 'a', align: 'right' },
        { title: '', align: 'left' },
        { title: 'b', align: 'left' },
        { title: 'last', align: 'left' },
      ],
      [
        ['1', 'x', '->', 'yy', 'long text'],
        ['22', 'xxx', '->', 'y', '-'],
      ],
    );
    expect(lines).toEqual([' n    a    b   last', ' 1    x -> yy  long text', '22  xxx -> y   -']);
  });
});
