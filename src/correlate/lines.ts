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

const FNV_PRIME = 0x01000193;
const FNV_OFFSET_I32 = FNV_OFFSET | 0;
/**
 * Held in a module binding: under a test runner's sandboxed global object, looking `Math` up per byte costs
 * more than the hashing.
 */
const imul = Math.imul;
const EMPTY = new Uint32Array(0);

/** Which bytes may appear in text: printable ASCII, TAB, CR, LF, and bytes >= 0x80 (UTF-8). */
const TEXT_BYTE: Uint8Array = (() => {
  const t = new Uint8Array(256);
  for (let b = 0x20; b < 0x7f; b++) t[b] = 1;
  for (let b = 0x80; b < 0x100; b++) t[b] = 1;
  t[0x09] = 1;
  t[0x0a] = 1;
  t[0x0d] = 1;
  return t;
})();

/** Hashing state of one direction of one session. */
class DirectionLines {
  /** Index in `session.messages` of the message being hashed, -1 before the first. */
  message = -1;
  /** Stream offset where that message starts and bytes of it seen. */
  seen = 0;
  hash = FNV_OFFSET_I32;
  lineBytes = 0;
  count = 0;
  done = false;
  readonly lines = new Uint32Array(MAX_LINES);

  reset(message: number): void {
    this.message = message;
    this.seen = 0;
    this.hash = FNV_OFFSET_I32;
    this.lineBytes = 0;
    this.count = 0;
    this.done = false;
  }
}

/**
 * Collects `lineHashes[session][message]` from a SessionTable's `onStreamData` callback. Call `finish()`
 * after the table's `finish()`, then read `hashes`.
 */
export class LineHasher {
  readonly hashes: Uint32Array[][] = [];
  private readonly state: [DirectionLines, DirectionLines][] = [];

  /** The SessionTable callback: bytes `buf[start..end)` at stream `offset` of direction `dir`. */
  onData(session: Session, dir: 0 | 1, offset: number, buf: Uint8Array, start: number, end: number): void {
    const st = this.stateOf(session)[dir];
    const messages = session.messages;
    while (start < end) {
      // Move to the message of this direction that holds `offset` (messages are in stream order).
      let m = st.message;
      const cur = m >= 0 ? messages[m] : undefined;
      if (cur === undefined || offset >= cur.end) {
        this.close(session, st);
        m = nextMessage(session, dir, m + 1, offset);
        if (m < 0) return;
        st.reset(m);
      }
      const msg = messages[m]!;
      if (offset < msg.start) {
        const skip = Math.min(end - start, msg.start - offset);
        start += skip;
        offset += skip;
        continue;
      }
      const take = Math.min(end - start, msg.end - offset);
      if (!st.done) this.scan(st, buf, start, start + take, offset - msg.start);
      start += take;
      offset += take;
    }
  }

  /** Close every message still open. Idempotent. */
  finish(sessions: readonly Session[]): void {
    for (const s of sessions) {
      const pair = this.state[s.index];
      if (pair) {
        this.close(s, pair[0]);
        this.close(s, pair[1]);
      }
      const row = this.hashes[s.index] ?? [];
      for (let m = 0; m < s.messages.length; m++) if (row[m] === undefined) row[m] = EMPTY;
      this.hashes[s.index] = row;
    }
    for (let i = 0; i < sessions.length; i++) this.hashes[i] ??= [];
  }

  private stateOf(session: Session): [DirectionLines, DirectionLines] {
    let st = this.state[session.index];
    if (st === undefined) {
      st = [new DirectionLines(), new DirectionLines()];
      this.state[session.index] = st;
      this.hashes[session.index] ??= [];
    }
    return st;
  }

  /**
   * Hash bytes at message position `pos` onwards, line by line. Runs over every text byte of the first
   * LINE_WINDOW bytes of every message: the state lives in locals (signed 32-bit arithmetic), the window and
   * line limits are checked per line, not per byte.
   */
  private scan(st: DirectionLines, buf: Uint8Array, from: number, to: number, pos: number): void {
    const room = LINE_WINDOW - pos;
    if (room <= 0) {
      st.done = true;
      return;
    }
    const end = to - from > room ? from + room : to;
    const text = TEXT_BYTE;
    const lines = st.lines;
    let h = st.hash | 0;
    let len = st.lineBytes | 0;
    let count = st.count | 0;
    let done = end < to;
    for (let i = from; i < end; i++) {
      const b = buf[i]!;
      if (text[b] === 0) {
        done = true;
        break;
      }
      if (b === 0x0a) {
        if (len > 0) {
          lines[count++] = h >>> 0;
          if (count >= MAX_LINES) {
            done = true;
            break;
          }
        }
        h = FNV_OFFSET_I32;
        len = 0;
      } else if (b !== 0x0d) {
        h = imul(h ^ b, FNV_PRIME);
        if (++len > MAX_LINE_BYTES) {
          done = true;
          break;
        }
      }
    }
    st.hash = h;
    st.lineBytes = len;
    st.count = count;
    if (done) st.done = true;
  }

  private close(session: Session, st: DirectionLines): void {
    if (st.message < 0) return;
    const row = this.hashes[session.index]!;
    if (row[st.message] === undefined) row[st.message] = st.count > 0 ? st.lines.slice(0, st.count) : EMPTY;
    st.message = -1;
  }
}

/** First message of direction `dir` at or after index `from` whose range reaches past `offset`. */
function nextMessage(session: Session, dir: 0 | 1, from: number, offset: number): number {
  const messages = session.messages;
  for (let i = from; i < messages.length; i++) {
    const m = messages[i]!;
    if (m.dir === dir && m.end > offset) return i;
  }
  return -1;
}
