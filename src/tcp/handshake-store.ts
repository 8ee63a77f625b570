/**
 * Handshake packets (SYN, SYN-ACK, handshake ACK) of a table's sessions, one row of 32-bit words each: three
 * per session for 100,000s of sessions were as objects a sixth of a table's heap and of the objects the
 * collector copied. A session makes a `HandshakeRecord` view of its row only when asked for the packet.
 */
import type { PacketView } from '../decode/types.js';
import type { HandshakePacket } from './session.js';

// Words of a row. Unsigned 32-bit values are stored as signed words and read back with `>>> 0`.
// Packet numbers in Int32 words, read back unsigned (`>>> 0`): exact up to 2^32 - 1 packets.
const PACKET = 0;
const NSEC = 2;
const SEQ = 5;
const ACK = 6;
const WINDOW = 7;
const TTL = 8;
const IP_ID = 9;
const MSS = 10;
const WSCALE = 11;
/** bit 0 sackPerm, bit 1 hasTimestamps, bit 2 tfo */
const BITS = 12;
const TSVAL = 13;
const TSECR = 14;
const ROW_WORDS = 16;
// Float64 words of a row: seconds may exceed 32 bits (pcapng's 64-bit timestamps), so do relative times.
const SEC = 0;
const REL_SEC = 1;
const REL_REM = 2;
const TIME_WORDS = 3;

const SACK_PERM = 1;
const HAS_TIMESTAMPS = 2;
const TFO = 4;

function wholeSeconds(ns: number): number {
  return Math.floor(ns / 1e9);
}

export class HandshakeStore {
  ints: Int32Array;
  times: Float64Array;
  /** Option kinds per row (lists are shared between rows: see handshake-rules.ts). */
  readonly optionKinds: number[][] = [];
  size = 0;

  constructor(rows = 256) {
    this.ints = new Int32Array(rows * ROW_WORDS);
    this.times = new Float64Array(rows * TIME_WORDS);
  }

  /** Copy a handshake packet's fields out of the reused view into a new row; returns the row. */
  add(v: PacketView, relNs: number, optionKinds: number[]): number {
    const row = this.size;
    if ((row + 1) * ROW_WORDS > this.ints.length) {
      const ints = new Int32Array(this.ints.length * 2);
      ints.set(this.ints);
      this.ints = ints;
      const times = new Float64Array(this.times.length * 2);
      times.set(this.times);
      this.times = times;
    }
    const t = this.ints;
    const o = row * ROW_WORDS;
    const d = this.times;
    const relSec = wholeSeconds(relNs);
    d[row * TIME_WORDS + SEC] = v.tsSec;
    d[row * TIME_WORDS + REL_SEC] = relSec;
    d[row * TIME_WORDS + REL_REM] = relNs - relSec * 1e9;
    t[o + PACKET] = v.index;
    t[o + NSEC] = v.tsNsec;
    t[o + SEQ] = v.seq;
    t[o + ACK] = v.ack;
    t[o + WINDOW] = v.window;
    t[o + TTL] = v.ttl;
    t[o + IP_ID] = v.ipId;
    t[o + MSS] = v.mss;
    t[o + WSCALE] = v.wscale;
    t[o + BITS] = (v.sackPerm ? SACK_PERM : 0) | (v.hasTimestamps ? HAS_TIMESTAMPS : 0) | (v.tfo ? TFO : 0);
    t[o + TSVAL] = v.tsval;
    t[o + TSECR] = v.tsecr;
    this.optionKinds.push(optionKinds);
    this.size = row + 1;
    return row;
  }

  packet(row: number): number {
    return this.ints[row * ROW_WORDS + PACKET]! >>> 0;
  }
  seq(row: number): number {
    return this.ints[row * ROW_WORDS + SEQ]! >>> 0;
  }
  relNs(row: number): number {
    const d = row * TIME_WORDS;
    return this.times[d + REL_SEC]! * 1e9 + this.times[d + REL_REM]!;
  }

  /** Drop the spare capacity (no row is added any more). */
  trim(): void {
    if (this.ints.length > this.size * ROW_WORDS) {
      this.ints = this.ints.slice(0, this.size * ROW_WORDS);
      this.times = this.times.slice(0, this.size * TIME_WORDS);
    }
  }
}

/** A handshake packet read from (and written to) its row of a HandshakeStore. */
export class HandshakeRecord implements HandshakePacket {
  private readonly store: HandshakeStore;
  private readonly o: number;
  private readonly t: number;
  private readonly row: number;

  constructor(store: HandshakeStore, row: number) {
    this.store = store;
    this.row = row;
    this.o = row * ROW_WORDS;
    this.t = row * TIME_WORDS;
  }

  private get(word: number): number {
    return this.store.ints[this.o + word]!;
  }
  private set(word: number, value: number): void {
    this.store.ints[this.o + word] = value;
  }
  private bit(mask: number): boolean {
    return (this.get(BITS) & mask) !== 0;
  }
  private setBit(mask: number, on: boolean): void {
    this.set(BITS, on ? this.get(BITS) | mask : this.get(BITS) & ~mask);
  }

  get packet(): number {
    return this.get(PACKET) >>> 0;
  }
  set packet(n: number) {
    this.set(PACKET, n);
  }
  get sec(): number {
    return this.store.times[this.t + SEC]!;
  }
  set sec(sec: number) {
    this.store.times[this.t + SEC] = sec;
  }
  get nsec(): number {
    return this.get(NSEC);
  }
  set nsec(nsec: number) {
    this.set(NSEC, nsec);
  }
  get relNs(): number {
    return this.store.relNs(this.row);
  }
  set relNs(ns: number) {
    const sec = wholeSeconds(ns);
    this.store.times[this.t + REL_SEC] = sec;
    this.store.times[this.t + REL_REM] = ns - sec * 1e9;
  }
  get seq(): number {
    return this.get(SEQ) >>> 0;
  }
  set seq(seq: number) {
    this.set(SEQ, seq);
  }
  get ack(): number {
    return this.get(ACK) >>> 0;
  }
  set ack(ack: number) {
    this.set(ACK, ack);
  }
  get window(): number {
    return this.get(WINDOW);
  }
  set window(window: number) {
    this.set(WINDOW, window);
  }
  get ttl(): number {
    return this.get(TTL);
  }
  set ttl(ttl: number) {
    this.set(TTL, ttl);
  }
  get ipId(): number {
    return this.get(IP_ID);
  }
  set ipId(id: number) {
    this.set(IP_ID, id);
  }
  get mss(): number {
    return this.get(MSS);
  }
  set mss(mss: number) {
    this.set(MSS, mss);
  }
  get wscale(): number {
    return this.get(WSCALE);
  }
  set wscale(wscale: number) {
    this.set(WSCALE, wscale);
  }
  get sackPerm(): boolean {
    return this.bit(SACK_PERM);
  }
  set sackPerm(on: boolean) {
    this.setBit(SACK_PERM, on);
  }
  get hasTimestamps(): boolean {
    return this.bit(HAS_TIMESTAMPS);
  }
  set hasTimestamps(on: boolean) {
    this.setBit(HAS_TIMESTAMPS, on);
  }
  get tsval(): number {
    return this.get(TSVAL) >>> 0;
  }
  set tsval(tsval: number) {
    this.set(TSVAL, tsval);
  }
  get tsecr(): number {
    return this.get(TSECR) >>> 0;
  }
  set tsecr(tsecr: number) {
    this.set(TSECR, tsecr);
  }
  get tfo(): boolean {
    return this.bit(TFO);
  }
  set tfo(on: boolean) {
    this.setBit(TFO, on);
  }
  get optionKinds(): number[] {
    return this.store.optionKinds[this.row]!;
  }
  set optionKinds(kinds: number[]) {
    this.store.optionKinds[this.row] = kinds;
  }

  /** The fields as a plain object (what JSON.stringify and structural comparisons see). */
  toJSON(): HandshakePacket {
    return {
      packet: this.packet,
      sec: this.sec,
      nsec: this.nsec,
      relNs: this.relNs,
      seq: this.seq,
      ack: this.ack,
      window: this.window,
      ttl: this.ttl,
      ipId: this.ipId,
      mss: this.mss,
      wscale: this.wscale,
      sackPerm: this.sackPerm,
      hasTimestamps: this.hasTimestamps,
      tsval: this.tsval,
      tsecr: this.tsecr,
      tfo: this.tfo,
      optionKinds: this.optionKinds,
    };
  }
}
