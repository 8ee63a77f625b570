/**
 * What the device changed in a packet it forwarded: one bit per field, compared between the upstream copy
 * and the downstream copy of a matched packet. Each rule below states when a field counts as changed; the
 * field names are the stable ids of `FieldChange.field` (docs/correlation-matching.md lists them).
 */
import { tcpFlagsString } from '../decode/index.js';
import { TCP_ACK } from '../decode/types.js';
import { FNV_OFFSET } from '../tcp/index.js';
import {
  KEY_FLAGS,
  MAX_SACK_BLOCKS,
  type PacketWindow,
  SAMPLE_HEAD,
  SAMPLE_TAIL,
  SAMPLE_WORDS,
} from './match-window.js';

export const FIELD_NAMES = [
  'ttl',
  'ip-id',
  'dscp',
  'ecn',
  'window',
  'mss',
  'wscale',
  'sack-perm',
  'timestamps',
  'options',
  'seq',
  'ack',
  'sack-blocks',
  'src-address',
  'dst-address',
  'src-port',
  'dst-port',
  'payload',
  'flags',
  'segments',
] as const;
export type FieldName = (typeof FIELD_NAMES)[number];
export const FIELD_COUNT = FIELD_NAMES.length;

export const F_TTL = 1 << 0;
export const F_IP_ID = 1 << 1;
export const F_DSCP = 1 << 2;
export const F_ECN = 1 << 3;
export const F_WINDOW = 1 << 4;
export const F_MSS = 1 << 5;
export const F_WSCALE = 1 << 6;
export const F_SACK_PERM = 1 << 7;
export const F_TIMESTAMPS = 1 << 8;
export const F_OPTIONS = 1 << 9;
export const F_SEQ = 1 << 10;
export const F_ACK = 1 << 11;
export const F_SACK_BLOCKS = 1 << 12;
export const F_SRC_ADDRESS = 1 << 13;
export const F_DST_ADDRESS = 1 << 14;
export const F_SRC_PORT = 1 << 15;
export const F_DST_PORT = 1 << 16;
export const F_PAYLOAD = 1 << 17;
export const F_FLAGS = 1 << 18;
/** The device cut one segment into several or merged several into one (matched by byte range). */
export const F_SEGMENTS = 1 << 19;

/**
 * Fields changed between upstream slot `up` and downstream slot `down` (addresses and ports excepted: they
 * are constant per connection and come from the sessions' endpoints). `sackOffset` is the offset of the
 * sequence space the packet's SACK blocks refer to (the other direction's), server side = client side +
 * offset.
 *
 * - TTL, IP ID, DSCP, ECN, raw window: any difference.
 * - MSS, window scale, SACK-permitted: present on either copy and different (absent counts as a value).
 * - TIMESTAMPS: option present on one copy only, or TSval or TSecr different.
 * - OPTIONS: the option kinds, in header order, differ (a rewritten, added or removed option).
 * - SEQ: raw sequence numbers differ (the pair's offset; matching already requires the offset to hold).
 *   ACK likewise, on packets with the ACK flag.
 * - SACK-BLOCKS: a block edge does NOT follow the sequence offset of the space it refers to, e.g. blocks
 *   left untranslated by a sequence randomiser (the receiver then ignores them or worse). Consistently
 *   translated blocks are not a change of their own: they follow `seq`/`ack`.
 * - PAYLOAD: both copies captured the same number of payload bytes and the hashes of the sampled bytes
 *   differ (the hash is made only when the bytes do).
 * - FLAGS: the flags outside the match key (PSH, URG, ECE, CWR, AE, reserved) differ.
 */
export function changedFields(w: PacketWindow, up: number, down: number, sackOffset: number): number {
  let bits = 0;
  if (w.ttl[up] !== w.ttl[down]) bits |= F_TTL;
  if (w.ipId[up] !== w.ipId[down]) bits |= F_IP_ID;
  if (w.dscp[up] !== w.dscp[down]) bits |= F_DSCP;
  if (w.ecn[up] !== w.ecn[down]) bits |= F_ECN;
  if (w.window[up] !== w.window[down]) bits |= F_WINDOW;
  if (w.mss[up] !== w.mss[down]) bits |= F_MSS;
  if (w.wscale[up] !== w.wscale[down]) bits |= F_WSCALE;
  if (w.sackPerm[up] !== w.sackPerm[down]) bits |= F_SACK_PERM;
  if (
    w.hasTs[up] !== w.hasTs[down] ||
    (w.hasTs[up] === 1 && (w.tsval[up] !== w.tsval[down] || w.tsecr[up] !== w.tsecr[down]))
  ) {
    bits |= F_TIMESTAMPS;
  }
  if (w.optionsSig[up] !== w.optionsSig[down]) bits |= F_OPTIONS;
  if (w.seq[up] !== w.seq[down]) bits |= F_SEQ;
  if (w.flags[up]! & TCP_ACK && w.ack[up] !== w.ack[down]) bits |= F_ACK;
  if ((w.sackCount[up]! > 0 || w.sackCount[down]! > 0) && !sackFollowsOffset(w, up, down, sackOffset)) {
    bits |= F_SACK_BLOCKS;
  }
  if (w.payloadHashed[up]! > 0 && w.payloadHashed[up] === w.payloadHashed[down]) {
    if (!sameSample(w, up, down) && sampleHash(w, up) !== sampleHash(w, down)) bits |= F_PAYLOAD;
  }
  if ((w.flags[up]! & ~KEY_FLAGS) !== (w.flags[down]! & ~KEY_FLAGS)) bits |= F_FLAGS;
  return bits;
}

/** The same sampled payload words (both slots sampled the same number of captured bytes). */
function sameSample(w: PacketWindow, a: number, b: number): boolean {
  const x = w.sample;
  const p = a * SAMPLE_WORDS;
  const q = b * SAMPLE_WORDS;
  for (let i = 0; i < SAMPLE_WORDS; i++) if (x[p + i] !== x[q + i]) return false;
  return true;
}

/**
 * FNV-1a of slot s's sampled bytes, head then tail (the TCP stage's `fnv1a` over the same bytes): what
 * the results show of a changed payload; 0 when no payload byte was captured.
 */
export function sampleHash(w: PacketWindow, s: number): number {
  const captured = w.payloadHashed[s]!;
  if (captured <= 0) return 0;
  const head = Math.min(captured, SAMPLE_HEAD);
  const tail = Math.min(SAMPLE_TAIL, captured - head);
  const at = s * SAMPLE_WORDS;
  let x = FNV_OFFSET | 0;
  for (let j = 0; j < head; j++)
    x = Math.imul(x ^ ((w.sample[at + (j >> 2)]! >>> ((j & 3) * 8)) & 0xff), 16777619);
  const t = at + SAMPLE_HEAD / 4;
  for (let j = 0; j < tail; j++)
    x = Math.imul(x ^ ((w.sample[t + (j >> 2)]! >>> ((j & 3) * 8)) & 0xff), 16777619);
  return x >>> 0;
}

/** Every SACK edge of the server-side copy equals the client-side edge plus the offset. */
function sackFollowsOffset(w: PacketWindow, a: number, b: number, offset: number): boolean {
  const n = w.sackCount[a]!;
  if (n !== w.sackCount[b]) return false;
  const client = w.side[a] === 0 ? a : b;
  const server = client === a ? b : a;
  const c0 = client * MAX_SACK_BLOCKS * 2;
  const s0 = server * MAX_SACK_BLOCKS * 2;
  for (let i = 0; i < n * 2; i++) {
    if ((w.sack[c0 + i]! + offset) >>> 0 !== w.sack[s0 + i]) return false;
  }
  return true;
}

/**
 * Downstream minus upstream for fields with a numeric value (mod 2^32 for sequence space and timestamps,
 * mod 2^16 for the IP ID); NaN for the others. For SACK blocks: the shift of the first left edge as
 * carried (0 when the blocks were left untranslated).
 */
export function fieldDelta(w: PacketWindow, field: number, up: number, down: number): number {
  // Cases are FIELD_NAMES indexes (a numeric switch: this runs for every changed field of every packet).
  switch (field) {
    case 0: // ttl
      return w.ttl[down]! - w.ttl[up]!;
    case 1: // ip-id
      return (w.ipId[down]! - w.ipId[up]!) & 0xffff;
    case 2: // dscp
      return w.dscp[down]! - w.dscp[up]!;
    case 4: // window
      return w.window[down]! - w.window[up]!;
    case 5: // mss
      return w.mss[up]! >= 0 && w.mss[down]! >= 0 ? w.mss[down]! - w.mss[up]! : Number.NaN;
    case 6: // wscale
      return w.wscale[up]! >= 0 && w.wscale[down]! >= 0 ? w.wscale[down]! - w.wscale[up]! : Number.NaN;
    case 8: // timestamps
      return w.hasTs[up] === 1 && w.hasTs[down] === 1 ? (w.tsval[down]! - w.tsval[up]!) >>> 0 : Number.NaN;
    case 10: // seq
      return (w.seq[down]! - w.seq[up]!) >>> 0;
    case 11: // ack
      return (w.ack[down]! - w.ack[up]!) >>> 0;
    case 12: // sack-blocks
      return w.sackCount[up]! > 0 && w.sackCount[down]! > 0
        ? (w.sack[down * MAX_SACK_BLOCKS * 2]! - w.sack[up * MAX_SACK_BLOCKS * 2]!) >>> 0
        : Number.NaN;
    default:
      return Number.NaN;
  }
}

/**
 * A field's value on one copy as two numbers (kept per example instead of text, so that no string is made
 * while packets stream): the value itself, or for timestamps TSval and TSecr, for SACK blocks the first
 * block's edges, for the payload the sampled length and hash. -1 stands for "absent" where a field can be.
 */
export function fieldRaw(w: PacketWindow, field: number, s: number, out: Float64Array, at: number): void {
  let a = 0;
  let b = 0;
  switch (field) {
    case 0: // ttl
      a = w.ttl[s]!;
      break;
    case 1: // ip-id
      a = w.ipId[s]!;
      break;
    case 2: // dscp
      a = w.dscp[s]!;
      break;
    case 3: // ecn
      a = w.ecn[s]!;
      break;
    case 4: // window
      a = w.window[s]!;
      break;
    case 5: // mss
      a = w.mss[s]!;
      break;
    case 6: // wscale
      a = w.wscale[s]!;
      break;
    case 7: // sack-perm
      a = w.sackPerm[s]!;
      break;
    case 8: // timestamps
      a = w.hasTs[s] === 1 ? w.tsval[s]! : -1;
      b = w.hasTs[s] === 1 ? w.tsecr[s]! : -1;
      break;
    case 9: // options
      a = w.optionsSig[s]!;
      break;
    case 10: // seq
      a = w.seq[s]!;
      break;
    case 11: // ack
      a = w.ack[s]!;
      break;
    case 12: // sack-blocks
      a = w.sackCount[s]! > 0 ? w.sack[s * MAX_SACK_BLOCKS * 2]! : -1;
      b = w.sackCount[s]! > 0 ? w.sack[s * MAX_SACK_BLOCKS * 2 + 1]! : -1;
      break;
    case 17: // payload
      a = w.payloadHashed[s]!;
      b = sampleHash(w, s);
      break;
    case 18: // flags
      a = w.flags[s]!;
      break;
    case 19: // segments
      a = w.len[s]!;
      break;
  }
  out[at] = a;
  out[at + 1] = b;
}

/** The two numbers of `fieldRaw` in plain words. */
export function formatField(field: number, a: number, b: number): string {
  const hex = (v: number) => `0x${v.toString(16)}`;
  const orNone = (v: number) => (v >= 0 ? String(v) : 'none');
  switch (field) {
    case 5: // mss
    case 6: // wscale
      return orNone(a);
    case 7: // sack-perm
      return a === 1 ? 'yes' : 'no';
    case 8: // timestamps
      return a >= 0 ? `TSval=${a} TSecr=${b}` : 'none';
    case 9: // options
      return `kinds#${a.toString(16)}`;
    case 10: // seq
    case 11: // ack
      return hex(a);
    case 12: // sack-blocks
      return a >= 0 ? `${hex(a)}-${hex(b)} (first block)` : 'none';
    case 17: // payload
      return `${a} bytes hash ${hex(b)}`;
    case 18: // flags
      return tcpFlagsString(a) || 'none';
    case 19: // segments
      return `${a} bytes`;
    default:
      return String(a);
  }
}

/** A packet's flags, numbers and length in plain words, e.g. "SYN seq=0x1a2b3c4d len=0". */
export function describePacket(w: PacketWindow, s: number): string {
  const flags = w.flags[s]!;
  const ack = flags & TCP_ACK ? ` ack=0x${w.ack[s]!.toString(16)}` : '';
  return `${tcpFlagsString(flags) || 'no flags'} seq=0x${w.seq[s]!.toString(16)}${ack} len=${w.len[s]} ip-id=${w.ipId[s]}`;
}
