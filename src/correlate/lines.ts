/**
 * Line-hash fingerprints of text messages, computed from the reconstructed stream in pass 1. A proxy that
 * inserts or rewrites a header line changes the chunk hashes around it and the head hash, but every other
 * line still hashes the same: comparing the sets of line hashes pairs an edited request with its original
 * and says which lines differ, without keeping any payload text.
 *
 * Bounded per message: at most MAX_LINES complete lines within the first LINE_WINDOW bytes; hashing stops
 * at the first byte that is not text (a binary body after HTTP headers keeps the header lines). Empty lines
 * carry no identity and are skipped. A line is hashed without its CR LF, so "\n" and "\r\n" endings agree.
 */

import { FNV_OFFSET } from '../tcp/fingerprint.js';
import type { Session } from '../tcp/index.js';

export const MAX_LINES = 32;
export const LINE_WINDOW = 2048;
/** Longest line hashed; a longer "line" is not text structure (the rest of the message is ignored). */
export const MAX_LINE_BYTES = 1024;

const FNV_OFFSET_I32 = FNV_OFFSET | 0;
const EMPTY = new Uint32Array(0);

/**
 * What a byte does to the line hash: 0 not text (hashing stops), 1 hashed, 2 LF (ends the line), 3 CR
 * (skipped). Text is printable ASCII, TAB, CR, LF, and bytes >= 0x80 (UTF-8). One lookup classifies a
 * byte; the table is module-private so the optimizing compiler folds it into `scan` as a constant of known
 * length.
 */
const BYTE_CLASS: Uint8Array = (() => {
  const t = new Uint8Array(256);
  for (let b = 0x20; b < 0x7f; b++) t[b] = 1;
  for (let b = 0x80; b < 0x100; b++) t[b] = 1;
  t[0x09] = 1;
  t[0x0a] = 2;
  t[0x0d] = 3;
  return t;
})();

/**
 * Collects `lineHashes[session][message]` from a SessionTable's `onStreamData` callback. Call `finish()`
 * after the table's `finish()`, then read `hashes`.
 *
 * The hashing state of each direction of each session lives in typed arrays indexed by session * 2 + dir
 * (no objects per session for the collector to copy through pass 1), and the buffer of line hashes of a
 * message is lent from a pool only once the message has a complete line, and given back when it closes:
 * binary messages, most of a typical capture, never take one.
 */
export class LineHasher {
  readonly hashes: Uint32Array[][] = [];
  /**
   * Per session direction: the message row (`Session.messageRows`) being hashed, or after it closed the
   * last one passed (the next is searched from there), -1 before the first; its index in the session's
   * messages; and whether it is open. Rows, not `session.messages`: that list makes an object per message
   * of every session with data, all kept to the end of pass 1, which the collector copied and marked.
   */
  private row = new Int32Array(0);
  private ordinal = new Int32Array(0);
  private open = new Uint8Array(0);
  private hash = new Int32Array(0);
  private lineBytes = new Int32Array(0);
  private count = new Int32Array(0);
  private done = new Uint8Array(0);
  /** Per session direction: the lent buffer of the open message's line hashes, if it has a line yet. */
  private readonly lines: (Uint32Array | undefined)[] = [];
  private readonly pool: Uint32Array[] = [];

  /** The SessionTable callback: bytes `buf[start..end)` at stream `offset` of direction `dir`. */
  onData(session: Session, dir: 0 | 1, offset: number, buf: Uint8Array, start: number, end: number): void {
    const k = this.slotOf(session) + dir;
    const rows = session.messageRows;
    let row = this.row[k]!;
    while (start < end) {
      // Move to the message of this direction that holds `offset` (messages are in stream order, and a
      // direction's bytes arrive in order: none that ended before the last one passed can hold it).
      if (this.open[k] === 0 || offset >= rows.end(row)) {
        this.close(session.index, k);
        let ordinal = row < 0 ? 0 : this.ordinal[k]! + 1;
        let next = row < 0 ? session.firstMessage : rows.next(row);
        while (next >= 0 && (rows.dir(next) !== dir || rows.end(next) <= offset)) {
          next = rows.next(next);
          ordinal++;
        }
        if (next < 0) return;
        row = next;
        this.reset(k, row, ordinal);
      }
      const messageStart = rows.start(row);
      if (offset < messageStart) {
        const skip = Math.min(end - start, messageStart - offset);
        start += skip;
        offset += skip;
        continue;
      }
      const take = Math.min(end - start, rows.end(row) - offset);
      if (this.done[k] === 0) this.scan(k, buf, start, start + take, offset - messageStart);
      start += take;
      offset += take;
    }
  }

  /** Close every message still open. Idempotent. */
  finish(sessions: readonly Session[]): void {
    for (const s of sessions) {
      const k = s.index * 2;
      if (k < this.row.length) {
        this.close(s.index, k);
        this.close(s.index, k + 1);
      }
      const row = this.hashes[s.index] ?? [];
      const messages = s.messageCount;
      for (let m = 0; m < messages; m++) if (row[m] === undefined) row[m] = EMPTY;
      this.hashes[s.index] = row;
    }
    for (let i = 0; i < sessions.length; i++) this.hashes[i] ??= [];
  }

  /** First slot (direction 0) of the session's state, made on its first bytes. */
  private slotOf(session: Session): number {
    const k = session.index * 2;
    if (k + 1 >= this.row.length) this.grow(k + 2);
    if (this.hashes[session.index] === undefined) this.hashes[session.index] = [];
    return k;
  }

  private grow(slots: number): void {
    const size = Math.max(slots, this.row.length * 2, 1024);
    const widen = <T extends Int32Array | Uint8Array>(a: T, make: (n: number) => T): T => {
      const b = make(size);
      b.set(a);
      return b;
    };
    const old = this.row.length;
    this.row = widen(this.row, (n) => new Int32Array(n));
    this.row.fill(-1, old);
    this.ordinal = widen(this.ordinal, (n) => new Int32Array(n));
    this.open = widen(this.open, (n) => new Uint8Array(n));
    this.hash = widen(this.hash, (n) => new Int32Array(n));
    this.lineBytes = widen(this.lineBytes, (n) => new Int32Array(n));
    this.count = widen(this.count, (n) => new Int32Array(n));
    this.done = widen(this.done, (n) => new Uint8Array(n));
    // Filled, not stretched: an array with holes far apart would fall back to a dictionary.
    while (this.lines.length < size) this.lines.push(undefined);
  }

  private reset(k: number, row: number, ordinal: number): void {
    this.row[k] = row;
    this.ordinal[k] = ordinal;
    this.open[k] = 1;
    this.hash[k] = FNV_OFFSET_I32;
    this.lineBytes[k] = 0;
    this.count[k] = 0;
    this.done[k] = 0;
  }

  /**
   * Hash bytes at message position `pos` onwards, line by line. Runs over every text byte of the first
   * LINE_WINDOW bytes of every message: the state lives in locals (signed 32-bit arithmetic), the window and
   * line limits are checked per line, not per byte.
   */
  private scan(k: number, buf: Uint8Array, from: number, to: number, pos: number): void {
    const room = LINE_WINDOW - pos;
    if (room <= 0) {
      this.done[k] = 1;
      return;
    }
    const end = (to - from > room ? from + room : to) | 0;
    const byteClass = BYTE_CLASS;
    let lines = this.lines[k];
    let h = this.hash[k]! | 0;
    let len = this.lineBytes[k]! | 0;
    let count = this.count[k]! | 0;
    let done = end < to;
    // Literals, not the exported constants, in the loop: an exported binding is read through a cell (with
    // an initialisation check) per use. 16777619 = the FNV prime, 1024 = MAX_LINE_BYTES, 32 = MAX_LINES
    // (lines.test.ts checks they agree). `Math.imul` is read per byte only under a test runner's sandboxed
    // global object; compiled, it is one multiply instruction.
    for (let i = from | 0; i < end; i++) {
      const b = buf[i]!;
      const c = byteClass[b]!;
      if (c === 1) {
        h = Math.imul(h ^ b, 16777619);
        if (++len > 1024) {
          done = true;
          break;
        }
      } else if (c === 2) {
        if (len > 0) {
          if (lines === undefined) {
            lines = this.pool.pop() ?? new Uint32Array(MAX_LINES);
            this.lines[k] = lines;
          }
          lines[count++] = h >>> 0;
          if (count >= 32) {
            done = true;
            break;
          }
        }
        h = FNV_OFFSET_I32;
        len = 0;
      } else if (c === 0) {
        done = true;
        break;
      }
    }
    this.hash[k] = h;
    this.lineBytes[k] = len;
    this.count[k] = count;
    if (done) this.done[k] = 1;
  }

  private close(session: number, k: number): void {
    if (this.open[k] === 0) return;
    const m = this.ordinal[k]!;
    const row = this.hashes[session]!;
    const lines = this.lines[k];
    const count = this.count[k]!;
    if (row[m] === undefined) row[m] = lines !== undefined && count > 0 ? lines.slice(0, count) : EMPTY;
    if (lines !== undefined) {
      this.pool.push(lines);
      this.lines[k] = undefined;
    }
    this.open[k] = 0;
  }
}
