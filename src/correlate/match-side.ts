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
import { FNV_OFFSET, type Session } from '../tcp/index.js';
import { SessionLocator } from './match-locate.js';
import { MAX_SACK_BLOCKS, type PacketWindow } from './match-window.js';

/**
 * PAYLOAD SAMPLE: the first 48 and the last 16 captured payload bytes are hashed, enough to see an
 * application-level gateway rewrite a header or an address without reading every byte of every packet.
 */
const PAYLOAD_HEAD = 48;
const PAYLOAD_TAIL = 16;

export class SideStream {
  private readonly reader: CaptureReader;
  private readonly decoder: Decoder;
  private readonly locator: SessionLocator;
  /** Base second of this side's relative times (SideData.baseSec) and its shift to the common base. */
  private readonly baseSec: number;
  private readonly shiftNs: number;
  done = false;

  constructor(
    path: string,
    private readonly sideId: 0 | 1,
    private readonly window: PacketWindow,
    baseSec: number,
    shiftNs: number,
    sessions: readonly Session[],
    /**
     * Per session: 1 when its packets are not matched one to one (no pair, or a terminated pair). Such a
     * packet gets only its identity and time (side, direction, session, number): nothing else of it is read.
     */
    private readonly identityOnly: Uint8Array,
  ) {
    this.reader = openCapture(path);
    this.decoder = new Decoder(this.reader.anomalies);
    this.baseSec = baseSec;
    this.shiftNs = shiftNs;
    this.locator = new SessionLocator(sessions);
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
      const session = locator.session;
      if (session < this.identityOnly.length && this.identityOnly[session] === 1) {
        this.fillIdentity(v, s, session, locator.dir);
      } else {
        this.fill(v, s, session, locator.dir);
      }
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

  /** Time, side, direction, session and packet number: all that a packet of an unmatched session needs. */
  private fillIdentity(v: PacketView, s: number, session: number, dir: 0 | 1): void {
    const w = this.window;
    w.ownNs[s] = (v.tsSec - this.baseSec) * 1e9 + v.tsNsec + this.shiftNs;
    w.side[s] = this.sideId;
    w.dir[s] = dir;
    w.session[s] = session;
    w.packet[s] = v.index;
  }

  /** Copy what matching needs out of the reused view into slot s. */
  private fill(v: PacketView, s: number, session: number, dir: 0 | 1): void {
    this.fillIdentity(v, s, session, dir);
    copyFields(this.window, v, s);
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
function copyFields(w: PacketWindow, v: PacketView, s: number): void {
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
  if (captured > 0) {
    const start = v.payloadOffset;
    const end = start + captured;
    payloadSample(v.buf, start, end, w.payloadHash, s);
    w.payloadHashed[s] = captured;
  } else {
    w.payloadHash[s] = 0;
    w.payloadHashed[s] = 0;
  }
}

const FNV_OFFSET_I32 = FNV_OFFSET | 0;

/**
 * PAYLOAD SAMPLE of `bytes[start..end)` into `out[at]`: FNV-1a of the first PAYLOAD_HEAD bytes and then
 * of the last PAYLOAD_TAIL bytes not already hashed, a byte at a time (the same hash as the TCP stage's
 * `fnv1a`, whose word reads keep a view of the last buffer they read: pass 2 alternates between the two
 * files' buffers, so that view was made again for nearly every packet). The hash is stored, not
 * returned: a 32-bit result returned from a call that is not inlined is a heap number (a garbage object
 * per packet with payload).
 */
function payloadSample(bytes: Uint8Array, start: number, end: number, out: Uint32Array, at: number): void {
  const headEnd = Math.min(end, start + PAYLOAD_HEAD);
  let x = FNV_OFFSET_I32;
  let i = start | 0;
  for (; i + 4 <= headEnd; i = (i + 4) | 0) {
    x = Math.imul(x ^ bytes[i]!, 16777619);
    x = Math.imul(x ^ bytes[i + 1]!, 16777619);
    x = Math.imul(x ^ bytes[i + 2]!, 16777619);
    x = Math.imul(x ^ bytes[i + 3]!, 16777619);
  }
  for (; i < headEnd; i++) x = Math.imul(x ^ bytes[i]!, 16777619);
  for (i = Math.max(headEnd, end - PAYLOAD_TAIL); i < end; i++) x = Math.imul(x ^ bytes[i]!, 16777619);
  out[at] = x >>> 0;
}
