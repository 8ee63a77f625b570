import { describe, expect, test } from '@jest/globals';
import { fnv1a, Session } from '../tcp/index.js';
import { LINE_WINDOW, LineHasher, MAX_LINE_BYTES, MAX_LINES } from './lines.js';

const enc = (s: string) => new TextEncoder().encode(s);
const lineHash = (s: string) => fnv1a(enc(s), 0, s.length);

/**
 * A session whose messages are given as [dir, length] in stream order: rows of its own store, as a table
 * records them (the hasher walks rows).
 */
function sessionWith(messages: Array<[0 | 1, number]>): Session {
  const ep = { ipVersion: 4 as const, addr: [0, 0, 0, 1], port: 1 };
  const s = new Session(0, ep, ep, 0, 64);
  const next = [0, 0];
  for (const [dir, len] of messages) {
    const start = next[dir]!;
    next[dir] = start + len;
    s.addMessage(dir, 1, 0, start, start + len);
  }
  return s;
}

/** Feed `text` to the hasher in pieces of `step` bytes, as the stream would deliver it. */
function feed(h: LineHasher, s: Session, dir: 0 | 1, offset: number, text: string, step = 7): void {
  const bytes = enc(text);
  for (let i = 0; i < bytes.length; i += step)
    h.onData(s, dir, offset + i, bytes, i, Math.min(bytes.length, i + step));
}

describe('line hashes', () => {
  test('the literals in the hashing loop agree with the named constants', () => {
    expect(MAX_LINE_BYTES).toBe(1024);
    expect(MAX_LINES).toBe(32);
    expect(lineHash('a')).toBe(Math.imul(0x811c9dc5 ^ 0x61, 0x01000193) >>> 0);
  });

  test('one hash per non-empty line, CR LF and LF alike, across segment boundaries', () => {
    const req = 'GET / HTTP/1.1\r\nHost: a\r\n\r\n';
    const resp = 'HTTP/1.1 200 OK\nX: y\n\nbody';
    const s = sessionWith([
      [0, req.length],
      [1, resp.length],
    ]);
    const h = new LineHasher();
    feed(h, s, 0, 0, req);
    feed(h, s, 1, 0, resp, 3);
    h.finish([s]);
    expect(Array.from(h.hashes[0]![0]!)).toEqual([lineHash('GET / HTTP/1.1'), lineHash('Host: a')]);
    // "body" has no line end: a partial last line is not hashed (its end depends on where the window stops).
    expect(Array.from(h.hashes[0]![1]!)).toEqual([lineHash('HTTP/1.1 200 OK'), lineHash('X: y')]);
  });

  test('two messages of one direction are kept apart', () => {
    const a = 'one\r\n';
    const b = 'two\r\nthree\r\n';
    const s = sessionWith([
      [0, a.length],
      [1, 4],
      [0, b.length],
    ]);
    const h = new LineHasher();
    feed(h, s, 0, 0, a + b, 4);
    h.finish([s]);
    expect(Array.from(h.hashes[0]![0]!)).toEqual([lineHash('one')]);
    expect(h.hashes[0]![1]!).toHaveLength(0);
    expect(Array.from(h.hashes[0]![2]!)).toEqual([lineHash('two'), lineHash('three')]);
  });

  test('hashing stops at the first byte that is not text, keeping the lines before it', () => {
    const text = 'POST /up HTTP/1.1\r\nContent-Length: 4\r\n\r\n\u0000\u0001\u0002\u0003more\r\n';
    const s = sessionWith([[0, text.length]]);
    const h = new LineHasher();
    feed(h, s, 0, 0, text);
    h.finish([s]);
    expect(h.hashes[0]![0]!).toHaveLength(2);
  });

  test('bounded: at most MAX_LINES lines within the first LINE_WINDOW bytes', () => {
    const many = Array.from({ length: 100 }, (_, i) => `line ${i}\n`).join('');
    const long = `${'x'.repeat(LINE_WINDOW + 10)}\nafter\n`;
    const s = sessionWith([
      [0, many.length],
      [1, long.length],
    ]);
    const h = new LineHasher();
    feed(h, s, 0, 0, many, 100);
    feed(h, s, 1, 0, long, 100);
    h.finish([s]);
    expect(h.hashes[0]![0]!).toHaveLength(MAX_LINES);
    expect(h.hashes[0]![1]!).toHaveLength(0);
  });
});
