/**
 * The JSON object of one TCP session, as `dualcap sessions --format json|jsonl` writes it. This schema is the
 * contract (docs/sessions.md describes every key); scripts may validate against it. Keys are only ever
 * added, never renamed or given a new meaning.
 *
 * Times are exact: decimal strings of seconds with nine decimals (`"1795336575.442181000"`), as tshark
 * prints frame.time_epoch. Durations are the same kind of string; `*Ns` keys are integer nanoseconds.
 */
import { z } from 'zod';

const time = z.string().regex(/^-?\d+\.\d{9}$/);

export const endpointJsonSchema = z.object({
  address: z.string(),
  port: z.number().int().min(0).max(65535),
});

/** A handshake packet: its number in the file and its time. */
export const handshakePacketJsonSchema = z.object({ packet: z.number().int().positive(), time });

/** Per direction of the session: client to server, server to client. */
export const eachWayJsonSchema = z.object({
  clientToServer: z.number().int().nonnegative(),
  serverToClient: z.number().int().nonnegative(),
});

export const sessionJsonSchema = z.object({
  /** Session index: tshark's tcp.stream. */
  index: z.number().int().nonnegative(),
  /** Community ID v1, seed 0. */
  communityId: z.string().nullable(),
  ipVersion: z.union([z.literal(4), z.literal(6)]),
  client: endpointJsonSchema,
  server: endpointJsonSchema,
  /** How the client was told apart: its SYN, the server's SYN-ACK seen first, well-known port, first packet. */
  initiatorBy: z.enum(['syn', 'synack', 'port', 'first-packet']),
  /** Who sent the session's first packet in the file (tshark's endpoint_a). */
  firstSender: z.enum(['client', 'server']),
  firstPacket: z.number().int().positive(),
  lastPacket: z.number().int().positive(),
  start: time,
  end: time,
  duration: time,
  history: z.string(),
  packets: eachWayJsonSchema,
  /** TCP payload bytes, retransmissions included (the sum of tshark's tcp.len). */
  bytes: eachWayJsonSchema,
  /** Initial sequence numbers (raw) when that side's SYN was captured. */
  isn: z.object({ client: z.number().int().nullable(), server: z.number().int().nullable() }),
  /** Packets carrying each flag, per direction. */
  flags: z.object({
    syn: eachWayJsonSchema,
    synAck: eachWayJsonSchema,
    fin: eachWayJsonSchema,
    rst: eachWayJsonSchema,
  }),
  handshake: z.object({
    syn: handshakePacketJsonSchema.nullable(),
    synAck: handshakePacketJsonSchema.nullable(),
    ack: handshakePacketJsonSchema.nullable(),
    /** SYN to handshake ACK (Wireshark's initial RTT), and its two halves; null when a packet is missing. */
    rttNs: z.number().int().nullable(),
    synToSynAckNs: z.number().int().nullable(),
    synAckToAckNs: z.number().int().nullable(),
    /** SYNs and SYN-ACKs seen, retransmissions included. */
    synCount: z.number().int().nonnegative(),
    synAckCount: z.number().int().nonnegative(),
  }),
  /** The first FIN or RST, whichever came first; null while neither was captured. */
  close: z
    .object({
      by: z.enum(['client', 'server']),
      kind: z.enum(['FIN', 'RST']),
      packet: z.number().int().positive(),
      time,
    })
    .nullable(),
  /** Packets carrying each analysis id (tcp.analysis.*, tcp.handshake.*); ids with no packet are absent. */
  analysis: z.record(z.string(), z.number().int().positive()),
  /** Per-session findings with the packet that shows them and a sentence of evidence. */
  findings: z.array(z.object({ id: z.string(), packet: z.number().int(), detail: z.string() })),
  /** The previous session on the same address/port pair (port reuse), and the gap since its last packet. */
  previousSession: z.number().int().nonnegative().nullable(),
  sincePreviousNs: z.number().int().nullable(),
});

export type SessionJson = z.infer<typeof sessionJsonSchema>;

/** One packet of `--session N --format jsonl`. */
export const sessionPacketJsonSchema = z.object({
  packet: z.number().int().positive(),
  time,
  /** Seconds since the session's first packet. */
  relTime: time,
  dir: z.enum(['c2s', 's2c']),
  /** TCP flag bits (12 bits, as tshark's tcp.flags) and their names ("SYN,ACK"). */
  flags: z.number().int().min(0).max(0xfff),
  flagNames: z.string(),
  /** Relative numbers (Wireshark's tcp.seq / tcp.ack; ack is raw when the ACK flag is clear). */
  seq: z.number().int().nonnegative(),
  ack: z.number().int().nonnegative(),
  rawSeq: z.number().int().nonnegative(),
  rawAck: z.number().int().nonnegative(),
  /** TCP payload length; null when it cannot be known (cut IP header). */
  len: z.number().int().nonnegative().nullable(),
  /** Window after scaling, and tshark's scale factor (-1 unknown, -2 no scaling; null on SYNs). */
  window: z.number().int().nonnegative(),
  windowScaleFactor: z.number().int().nullable(),
  analysis: z.array(z.string()),
  /** Duplicate ACK number and the frame it repeats; null when not a duplicate ACK. */
  duplicateAck: z.object({ num: z.number().int().positive(), frame: z.number().int().positive() }).nullable(),
});

export type SessionPacketJson = z.infer<typeof sessionPacketJsonSchema>;

/** `--format json`: the whole listing as one object. */
export const sessionsDocumentSchema = z.object({
  file: z.string(),
  /** Packets in the file, TCP packets, and sessions before and after filtering. */
  packets: z.number().int().nonnegative(),
  tcpPackets: z.number().int().nonnegative(),
  sessionsTotal: z.number().int().nonnegative(),
  sessionsShown: z.number().int().nonnegative(),
  sessions: z.array(sessionJsonSchema),
});

export type SessionsDocument = z.infer<typeof sessionsDocumentSchema>;
