/**
 * TCP stage: sessions per capture with Wireshark-grade analysis. Feed decoded packets to a `SessionTable`,
 * call `finish()` at the end, then read `table.sessions`. Per-packet results stream through the
 * `onPacket` option; see docs/analysis.md for every analysis rule.
 */
export {
  CHUNK_MAX,
  CHUNK_MIN,
  Chunker,
  type Fingerprint,
  FNV_OFFSET,
  fnv1a,
  HEAD_BYTES,
  MAX_FINGERPRINT_BYTES,
} from './fingerprint.js';
export * from './flags.js';
export { WSCALE_NONE, WSCALE_UNKNOWN } from './flow.js';
export { History } from './history.js';
export { FAST_RETRANSMISSION_WINDOW_NS, OUT_OF_ORDER_DEFAULT_NS } from './rules.js';
export { seqAdd, seqDiff, seqGe, seqGt, seqLe, seqLt } from './seq.js';
export type { CloseInfo, Endpoint, Finding, HandshakePacket, Message, MessageRows } from './session.js';
export { DirectionStats, Session } from './session.js';
export { SessionTable, type SessionTableOptions, TcpPacketResult } from './session-table.js';
export { type GapReason, MAX_GAPS_KEPT, MAX_OOO_BYTES, MAX_OOO_SEGMENTS, type StreamGap } from './stream.js';
export {
  isClientHello,
  isServerHello,
  TLS_ALERT,
  TLS_APPLICATION_DATA,
  TLS_HANDSHAKE,
  tlsContentType,
  tlsHandshakeType,
  tlsMarker,
  tlsMarkerText,
} from './tls.js';
