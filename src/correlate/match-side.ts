/**
 * One capture re-read for pass 2: reader -> decoder -> session locator (pass 1's session index and direction
 * of each TCP packet, see match-locate.ts). Each call to `advance` reads up to the next TCP packet and copies
 * what matching needs from the reused packet view into a window slot: numbers only, nothing allocated per
 * packet.
 */
import { openCapture } from '../capture/index.js';
import type { CaptureReader } from '../capture/types.js';
import { Decoder } from '../decode/index.js';
import type { PacketView } from '../decode/types.js';
import type { Session } from '../tcp/index.js';
import { SessionLocator } from './match-locate.js';
import {
  MAX_SACK_BLOCKS,
  type PacketWindow,
  SAMPLE_HEAD,
  SAMPLE_TAIL,
  SAMPLE_WORDS,
} from './match-window.js';

export class SideStream {
  private readonly reader: CaptureReader;
  private readonly decoder: Decoder;
  private readonly locator: SessionLocator;
  /** Base second of this side's relative times (SideData.baseSec) and its shift to the common base. */
  private readonly baseSec: number;
  private readonly shiftNs: number;
  done = false;
  /** Word reads of the reader's current buffer (it hands over the same one packet after packet). */
  private bytes: Uint8Array = new Uint8Array(0);
  private words: DataView = new DataView(new ArrayBuffer(0));

  constructor(
    path: string,
    private readonly sideId: 0 | 1,
    private readonly window: PacketWindow,
    baseSec: number,
    shiftNs: number,
    sessions: readonly Session[],
    /** Per session: its pair (index into the pairs), or -1. */
    pairOf: Int32Array,
    /**
     * Per session: 1 when its packets are not matched one to one (no pair, or a terminated pair). Such a
     * packet gets only its identity and time (side, direction, session, number, pair): nothing else of it
     * is read.
     */
    identityOnly: Uint8Array,
  ) {
    this.reader = openCapture(path);
    this.decoder = new Decoder(this.reader.anomalies);
    this.baseSec = baseSec;
    this.shiftNs = shiftNs;
    this.locator = new SessionLocator(sessions, pairOf, identityOnly);
  }

  /** Bytes of the file read so far. */
  get bytesRead(): number {
    return this.reader.bytesRead;
  }

  /** Read to the next TCP packet; returns its slot, or -1 at the end of the file (or a reading error). */
  advance(): number {
    if (this.done) return -1;
    const locator = this.locator;
    for (let rec = this.reader.next(); rec !== null; rec = this.reader.next()) {
      const v = this.decoder.decode(rec);
      if (!v.isTcp || !locator.locate(v)) continue;
      const s = this.window.alloc();
      if (locator.identity === 1) this.fillIdentity(v, s, locator.session, locator.dir, locator.pair);
      else this.fill(v, s, locator.session, locator.dir, locator.pair);
      return s;
    }
    this.finish();
    return -1;
  }

  finish(): void {
    if (this.done) return;
    this.done = true;
    this.reader.close();
  }

  /** Time, side, direction, session, pair and packet number: all that a packet of an unmatched session needs. */
  private fillIdentity(v: PacketView, s: number, session: number, dir: 0 | 1, pair: number): void {
    const w = this.window;
    w.ownNs[s] = (v.tsSec - this.baseSec) * 1e9 + v.tsNsec + this.shiftNs;
    w.side[s] = this.sideId;
    w.dir[s] = dir;
    w.session[s] = session;
    w.pair[s] = pair;
    w.packet[s] = v.index;
  }

  /** Copy what matching needs out of the reused view into slot s. */
  private fill(v: PacketView, s: number, session: number, dir: 0 | 1, pair: number): void {
    this.fillIdentity(v, s, session, dir, pair);
    copyFields(this.window, v, s, this.wordsOf(v.buf));
  }

  private wordsOf(buf: Uint8Array): DataView {
    if (buf !== this.bytes) {
      this.bytes = buf;
      this.words = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    }
    return this.words;
  }
}

/**
 * The view's fields into slot s. A function of its own with the window and the view as its first two
 * parameters, and no local through which a property is read: in a method that read `v.seq` from its first
 * parameter and `w.seq` from its first local, the two loads shared one feedback slot (the engine caches a
 * named load's slot by the variable's index, and the first parameter and the first local both have index
 * 0), so every such read of the view checked for the window's shape too and boxed its number (a heap
 * number per packet, and about twice the instructions).
 */
function copyFields(w: PacketWindow, v: PacketView, s: number, words: DataView): void {
  w.seq[s] = v.seq;
  w.ack[s] = v.ack;
  w.flags[s] = v.flags;
  w.len[s] = v.payloadLength;
  w.ipId[s] = v.ipId;
  w.ttl[s] = v.ttl;
  w.dscp[s] = v.dscp;
  w.ecn[s] = v.ecn;
  w.window[s] = v.window;
  w.mss[s] = v.mss;
  w.wscale[s] = v.wscale;
  w.sackPerm[s] = v.sackPerm ? 1 : 0;
  w.hasTs[s] = v.hasTimestamps ? 1 : 0;
  w.tsval[s] = v.tsval;
  w.tsecr[s] = v.tsecr;
  let sig = 0;
  const kinds = v.optionKinds;
  for (let i = 0; i < v.optionCount; i++) sig = Math.imul(sig ^ (kinds[i]! + 1), 0x01000193);
  w.optionsSig[s] = sig >>> 0;
  const blocks = Math.min(v.sackCount, MAX_SACK_BLOCKS);
  w.sackCount[s] = blocks;
  for (let i = 0; i < blocks * 2; i++) w.sack[s * MAX_SACK_BLOCKS * 2 + i] = v.sack[i]!;
  const captured = Math.min(v.payloadCaptured, v.payloadLength);
  w.payloadHashed[s] = captured > 0 ? captured : 0;
  if (captured > 0) copySample(words, v.payloadOffset, captured, w.sample, s * SAMPLE_WORDS);
}

/**
 * PAYLOAD SAMPLE of the `captured` bytes at `start` into out[at..at + SAMPLE_WORDS): the first SAMPLE_HEAD
 * bytes, then the last SAMPLE_TAIL not already among them, as words. Copied, not hashed: a byte-serial
 * hash of 64 bytes is a chain of 64 dependent multiplications per packet, while the copies of two packets
 * compare word by word, and the hash is made from the words only for a changed payload (match-fields.ts).
 */
function copySample(d: DataView, start: number, captured: number, out: Uint32Array, at: number): void {
  const head = Math.min(captured, SAMPLE_HEAD);
  copyWords(d, start, head, out, at, SAMPLE_HEAD / 4);
  const tailStart = Math.max(head, captured - SAMPLE_TAIL);
  copyWords(d, start + tailStart, captured - tailStart, out, at + SAMPLE_HEAD / 4, SAMPLE_TAIL / 4);
}

/** `n` bytes at `from` into `count` words at out[at], little-endian, zero past the bytes. */
function copyWords(d: DataView, from: number, n: number, out: Uint32Array, at: number, count: number): void {
  let k = 0;
  for (; k * 4 + 4 <= n; k++) out[at + k] = d.getUint32(from + k * 4, true);
  if (k * 4 < n) {
    let x = 0;
    for (let j = k * 4; j < n; j++) x |= d.getUint8(from + j) << ((j & 3) * 8);
    out[at + k++] = x;
  }
  for (; k < count; k++) out[at + k] = 0;
}
