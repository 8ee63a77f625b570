/**
 * The JSON report of `dualcap analyze --format json` (schema "dualcap.report/1"), as a zod schema: the
 * contract for anyone reading the report. docs/report-schema.md documents every field; keep the two in
 * sync. Later versions may add keys, never rename them or change their meaning; objects therefore accept
 * unknown keys (zod drops them when parsing), so a reader of version 1 can read a later report.
 *
 * Numbers: nanosecond values are JSON numbers, rounded to whole nanoseconds, and null when they are not
 * finite (an unbounded clock bound) or beyond 2^53 (never for real captures: that is 104 days). Times
 * of day are strings of epoch seconds with exactly nine decimals, as tshark prints frame.time_epoch.
 */
import { z } from 'zod';
import { BEHAVIOUR_IDS, DEVICE_KINDS } from '../diagnose/types.js';

export const REPORT_SCHEMA = 'dualcap.report/1';

/** Epoch seconds with nine decimals, e.g. "1795336575.273000000". */
const epoch = z.string().regex(/^-?\d+\.\d{9}$/);
/** Nanoseconds: a whole number, null when unbounded or not representable (see above). */
const ns = z.number().int().nullable();
const u32 = z.number().int().min(0).max(0xffffffff);
const port = z.number().int().min(0).max(65535);
const severity = z.enum(['error', 'warning', 'note']);
const direction = z.enum(['c2s', 's2c']);

export const tupleSchema = z.tuple([z.string(), port, z.string(), port]);

export const anomalyJsonSchema = z.object({
  id: z.string(),
  severity,
  count: z.number().int().min(0),
  text: z.string(),
});

export const inputJsonSchema = z.object({
  side: z.enum(['client', 'server']),
  path: z.string(),
  /** "pcap" or "pcapng", with the compression when the file is compressed ("pcapng (gzip)"). */
  format: z.string(),
  packets: z.number().int().min(0),
  tcpPackets: z.number().int().min(0),
  first: epoch.nullable(),
  last: epoch.nullable(),
  resolutionNs: z.number().int().min(1),
  anomalies: z.array(anomalyJsonSchema),
  /** The reading error that ended the file early (every packet before it was used), or null. */
  error: z.string().nullable(),
});

export const alignmentJsonSchema = z.object({
  offsetNs: ns,
  skewPpm: z.number(),
  boundNs: ns,
  method: z.string(),
  skewEstimated: z.boolean(),
  oneSided: z.boolean(),
  segments: z.number().int().min(0),
  constraints: z.object({
    forward: z.number().int().min(0),
    reverse: z.number().int().min(0),
    used: z.number().int().min(0),
    rejected: z.number().int().min(0),
    invalid: z.number().int().min(0),
  }),
  warnings: z.array(z.object({ id: z.string(), text: z.string() })),
});

export const evidenceJsonSchema = z.object({
  pair: z.number().int().nullable(),
  clientPackets: z.array(z.number().int().min(1)),
  serverPackets: z.array(z.number().int().min(1)),
  values: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
  text: z.string(),
});

export const behaviourJsonSchema = z.object({
  id: z.enum(BEHAVIOUR_IDS),
  confidence: z.number().min(0).max(1),
  count: z.number().int().min(0),
  detail: z.string(),
  evidence: z.array(evidenceJsonSchema),
});

export const deviceJsonSchema = z.object({
  kind: z.enum(DEVICE_KINDS),
  kindReason: z.string(),
  summary: z.string(),
  behaviours: z.array(behaviourJsonSchema),
  undecided: z.array(z.object({ id: z.enum(BEHAVIOUR_IDS), reason: z.string() })),
});

export const connectionJsonSchema = z.object({
  session: z.number().int().min(0),
  tuple: tupleSchema,
  /** Raw ISN of the initiator's SYN; null when the capture has no SYN of this connection. */
  isn: u32.nullable(),
  start: epoch,
});

export const delayJsonSchema = z.object({
  count: z.number().int().min(0),
  minNs: ns,
  p50Ns: ns,
  p99Ns: ns,
  maxNs: ns,
});

export const latencyJsonSchema = z.object({
  /** "packets": transit delay of matched packets; "messages": request/response latency through a
   * terminating device; "none": nothing measured. */
  source: z.enum(['packets', 'messages', 'none']),
  c2s: delayJsonSchema,
  s2c: delayJsonSchema,
});

export const fieldChangeJsonSchema = z.object({
  field: z.string(),
  dir: direction,
  count: z.number().int().min(0),
  delta: z.number().nullable(),
  clientPacket: z.number().int().min(0),
  serverPacket: z.number().int().min(0),
  detail: z.string(),
});

const rewrite = z.object({ from: z.string(), to: z.string() }).nullable();
const portRewrite = z.object({ from: port, to: port }).nullable();

export const translationJsonSchema = z.object({
  /** Client-side value -> server-side value of the initiator's packets; null when unchanged. */
  srcAddress: rewrite,
  dstAddress: rewrite,
  srcPort: portRewrite,
  dstPort: portRewrite,
  /** Server-side minus client-side sequence numbers (mod 2^32); null for terminated connections. */
  seqOffset: z.object({ c2s: u32, s2c: u32 }).nullable(),
  /** Fields changed on matched packets (TTL, options, ...), per direction. */
  fieldChanges: z.array(fieldChangeJsonSchema),
});

export const findingJsonSchema = z.object({
  id: z.string(),
  severity,
  text: z.string(),
  pair: z.number().int().nullable(),
  clientSession: z.number().int().nullable(),
  serverSession: z.number().int().nullable(),
  clientPackets: z.array(z.number().int().min(1)),
  serverPackets: z.array(z.number().int().min(1)),
  evidence: z.array(evidenceJsonSchema),
});

const directionCounts = z.object({
  matched: z.number().int().min(0),
  dropped: z.number().int().min(0),
  injected: z.number().int().min(0),
  answered: z.number().int().min(0),
  outside: z.number().int().min(0),
});

export const pairJsonSchema = z.object({
  id: z.number().int().min(0),
  client: connectionJsonSchema,
  server: z.array(connectionJsonSchema),
  mapping: z.enum(['one-to-one', 'many-to-one', 'per-message']),
  kind: z.enum(['same', 'translated', 'seq-shifted', 'spliced', 'terminated']),
  score: z.number().min(0).max(1),
  evidence: z.array(
    z.object({
      kind: z.string(),
      detail: z.string(),
      clientPacket: z.number().int().nullable(),
      serverPacket: z.number().int().nullable(),
    }),
  ),
  latency: latencyJsonSchema,
  translation: translationJsonSchema,
  packets: z.object({ c2s: directionCounts, s2c: directionCounts }),
  findings: z.array(findingJsonSchema),
});

export const unpairedJsonSchema = connectionJsonSchema.extend({
  reason: z.enum(['outside-other-capture', 'never-forwarded', 'device-generated', 'no-match']),
  detail: z.string(),
});

export const reportSchema = z.object({
  schema: z.literal(REPORT_SCHEMA),
  tool: z.object({ name: z.string(), version: z.string() }),
  inputs: z.tuple([inputJsonSchema, inputJsonSchema]),
  alignment: alignmentJsonSchema,
  device: deviceJsonSchema,
  pairs: z.array(pairJsonSchema),
  unpaired: z.object({ client: z.array(unpairedJsonSchema), server: z.array(unpairedJsonSchema) }),
  packets: z.object({
    c2s: directionCounts,
    s2c: directionCounts,
    /** Packets of terminated pairs per side [client, server]: no one-to-one match exists for them. */
    terminated: z.tuple([z.number().int().min(0), z.number().int().min(0)]),
  }),
  findings: z.array(findingJsonSchema),
});

export type Report = z.infer<typeof reportSchema>;
export type ReportInput = z.infer<typeof inputJsonSchema>;
export type ReportPair = z.infer<typeof pairJsonSchema>;
export type ReportFinding = z.infer<typeof findingJsonSchema>;
export type ReportConnection = z.infer<typeof connectionJsonSchema>;
export type ReportUnpaired = z.infer<typeof unpairedJsonSchema>;
export type ReportDelay = z.infer<typeof delayJsonSchema>;
export type DirectionCounts = z.infer<typeof directionCounts>;
