/**
 * TCP header (RFC 9293) and options. Sequence numbers stay raw and unsigned; the 12 flag bits include
 * ECE/CWR, AE (formerly NS, RFC 3540) and the 3 reserved bits. Options are walked defensively: a length
 * that does not fit ends the walk with an anomaly, never an exception.
 */
import {
  BAD_TCP_DATA_OFFSET,
  BAD_TCP_OPTION_LENGTH,
  TCP_OPTION_WRONG_SIZE,
  TRUNCATED_PAYLOAD,
  TRUNCATED_TCP_HEADER,
  TRUNCATED_TCP_OPTIONS,
} from './anomalies.js';
import { be16, be32, countedWithoutExample, type DecodeState, report } from './state.js';
import { MAX_OPTION_KINDS, MAX_SACK_BLOCKS } from './view.js';

const MIN_HEADER = 20;

export const TCPOPT_EOL = 0;
export const TCPOPT_NOP = 1;
export const TCPOPT_MSS = 2;
export const TCPOPT_WSCALE = 3;
export const TCPOPT_SACK_PERM = 4;
export const TCPOPT_SACK = 5;
export const TCPOPT_TIMESTAMPS = 8;
export const TCPOPT_MPTCP = 30;
export const TCPOPT_TFO = 34;
/** RFC 6994 experimental kinds; TFO used 254 with ExID 0xF989 before kind 34 was assigned (RFC 7413). */
export const TCPOPT_EXPERIMENTAL_1 = 253;
export const TCPOPT_EXPERIMENTAL_2 = 254;
const TFO_EXPERIMENT_ID = 0xf989;

export function decodeTcp(s: DecodeState, off: number): void {
  const d = s.data;
  const v = s.view;
  // Ports first: a header cut short still identifies its flow (Community ID), as tshark shows it.
  if (off + 4 <= s.end) {
    const ports = be32(d, off);
    v.srcPort = ports >>> 16;
    v.dstPort = ports & 0xffff;
  }
  if (off + MIN_HEADER > s.end) {
    v.truncated = true;
    report(s, TRUNCATED_TCP_HEADER, off, `${Math.max(0, s.end - off)} of 20 bytes`);
    return;
  }
  v.seq = be32(d, off + 4);
  v.ack = be32(d, off + 8);
  // Data offset (4 bits), reserved and flags (12 bits), window (16 bits).
  const offsetFlagsWindow = be32(d, off + 12);
  const headerLength = (offsetFlagsWindow >>> 28) * 4;
  v.flags = (offsetFlagsWindow >>> 16) & 0x0fff;
  v.window = offsetFlagsWindow & 0xffff;
  v.urgent = be16(d, off + 18);
  v.tcpHeaderLength = headerLength;
  const segmentLength = s.wireEnd - off;
  if (headerLength < MIN_HEADER || headerLength > segmentLength) {
    report(s, BAD_TCP_DATA_OFFSET, off, `header length ${headerLength}, segment ${segmentLength} bytes`);
    return;
  }
  v.isTcp = true;
  const payloadOffset = off + headerLength;
  v.payloadOffset = payloadOffset;
  v.payloadLength = segmentLength - headerLength;
  const captured = s.end - payloadOffset;
  v.payloadCaptured = captured < 0 ? 0 : Math.min(captured, v.payloadLength);
  if (v.payloadCaptured < v.payloadLength) {
    v.truncated = true;
    if (!countedWithoutExample(s.anomalies, TRUNCATED_PAYLOAD)) {
      report(s, TRUNCATED_PAYLOAD, off, `${v.payloadCaptured} of ${v.payloadLength} payload bytes captured`);
    }
  }
  if (headerLength > MIN_HEADER) {
    let optionsEnd = payloadOffset;
    if (optionsEnd > s.end) {
      v.truncated = true;
      if (!countedWithoutExample(s.anomalies, TRUNCATED_TCP_OPTIONS)) {
        report(s, TRUNCATED_TCP_OPTIONS, off, `${s.end - off} of ${headerLength} header bytes captured`);
      }
      optionsEnd = s.end;
    }
    decodeOptions(s, off + MIN_HEADER, optionsEnd);
  }
}

/**
 * The layout RFC 7323 (appendix A) recommends and Linux, the BSDs and macOS send on every segment after the
 * handshake: NOP, NOP, timestamps, and nothing else. Like the kernels' own header prediction, this one
 * comparison of the first word decodes it without walking the options.
 */
const NOP_NOP_TIMESTAMPS = 0x0101080a;
const ALIGNED_TIMESTAMPS_LENGTH = 12;

/** The options in [p, end): the common layout inline (this function is small enough to be), else the walk. */
function decodeOptions(s: DecodeState, p: number, end: number): void {
  const d = s.data;
  const v = s.view;
  if (end - p === ALIGNED_TIMESTAMPS_LENGTH && v.optionCount === 0 && be32(d, p) === NOP_NOP_TIMESTAMPS) {
    const kinds = v.optionKinds;
    kinds[0] = TCPOPT_NOP;
    kinds[1] = TCPOPT_NOP;
    kinds[2] = TCPOPT_TIMESTAMPS;
    v.optionCount = 3;
    v.hasTimestamps = true;
    v.tsval = be32(d, p + 4);
    v.tsecr = be32(d, p + 8);
    return;
  }
  walkOptions(s, p, end);
}

/**
 * Reads the options in [p, end). Every kind seen is recorded in order, known ones are decoded. The kinds
 * that nearly every segment carries (NOP, timestamps, and MSS/window scale/SACK-permitted on SYNs) are
 * decoded right in the loop; this walk runs for most packets and a call per option costs more than the
 * decoding itself.
 */
function walkOptions(s: DecodeState, p: number, end: number): void {
  const b = s.buf;
  const d = s.data;
  const v = s.view;
  const kinds = v.optionKinds;
  let count = v.optionCount;
  while (p < end) {
    const kind = b[p]!;
    if (count < MAX_OPTION_KINDS) kinds[count++] = kind;
    if (kind === TCPOPT_NOP) {
      p++;
      continue;
    }
    if (kind === TCPOPT_EOL) break;
    // One exit for both length faults: the message is built in one place only, so the compiler cannot hoist
    // a number-to-string conversion shared by two error branches into the path every option takes.
    const len = p + 2 > end ? -1 : b[p + 1]!;
    if (len < 2 || p + len > end) {
      badOptionLength(s, p, kind, len, end);
      break;
    }
    if (kind === TCPOPT_TIMESTAMPS && len === 10) {
      v.hasTimestamps = true;
      v.tsval = be32(d, p + 2);
      v.tsecr = be32(d, p + 6);
    } else if (kind === TCPOPT_MSS && len === 4) {
      v.mss = be16(d, p + 2);
    } else if (kind === TCPOPT_WSCALE && len === 3) {
      v.wscale = b[p + 2]!;
    } else if (kind === TCPOPT_SACK_PERM && len === 2) {
      v.sackPerm = true;
    } else if (!decodeOption(s, kind, p, len)) {
      wrongOptionSize(s, p, kind, len);
    }
    p += len;
  }
  v.optionCount = count;
}

/** `len` -1: the option has no length byte before `end`. */
function badOptionLength(s: DecodeState, p: number, kind: number, len: number, end: number): void {
  const detail =
    len < 0 ? `option ${kind} has no length byte` : `option ${kind} length ${len}, ${end - p} bytes left`;
  report(s, BAD_TCP_OPTION_LENGTH, p, detail);
}

function wrongOptionSize(s: DecodeState, p: number, kind: number, len: number): void {
  report(s, TCP_OPTION_WRONG_SIZE, p, `option ${kind} length ${len}`);
}

/** Decodes one option of `len` bytes at `p` (bounds already checked); false if its length is wrong for its kind. */
function decodeOption(s: DecodeState, kind: number, p: number, len: number): boolean {
  const b = s.buf;
  const d = s.data;
  const v = s.view;
  switch (kind) {
    case TCPOPT_MSS:
      if (len !== 4) return false;
      v.mss = be16(d, p + 2);
      return true;
    case TCPOPT_WSCALE:
      if (len !== 3) return false;
      v.wscale = b[p + 2]!;
      return true;
    case TCPOPT_SACK_PERM:
      if (len !== 2) return false;
      v.sackPerm = true;
      return true;
    case TCPOPT_SACK: {
      if ((len - 2) % 8 !== 0 || len === 2) return false;
      const blocks = Math.min((len - 2) / 8, MAX_SACK_BLOCKS);
      for (let i = 0; i < blocks; i++) {
        v.sack[2 * i] = be32(d, p + 2 + 8 * i);
        v.sack[2 * i + 1] = be32(d, p + 6 + 8 * i);
      }
      v.sackCount = blocks;
      return true;
    }
    case TCPOPT_TIMESTAMPS:
      if (len !== 10) return false;
      v.hasTimestamps = true;
      v.tsval = be32(d, p + 2);
      v.tsecr = be32(d, p + 6);
      return true;
    case TCPOPT_TFO:
      v.tfo = true;
      v.tfoCookieLength = len - 2;
      return true;
    case TCPOPT_EXPERIMENTAL_1:
    case TCPOPT_EXPERIMENTAL_2:
      if (len >= 4 && be16(d, p + 2) === TFO_EXPERIMENT_ID) {
        v.tfo = true;
        v.tfoCookieLength = len - 4;
      }
      return true;
    case TCPOPT_MPTCP:
      v.mptcp = true;
      return true;
    default:
      return true;
  }
}
