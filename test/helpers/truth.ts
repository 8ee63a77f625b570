/**
 * The lab's ground truth (samples/<scenario>/truth.json, schema dualcap.truth/1, documented in
 * samples/README.md), validated with zod so that a regenerated sample with another shape fails loudly
 * instead of making tests pass on missing fields. Unknown fields are kept (the schema only ever grows).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';

const tuple = z.tuple([z.string(), z.number().int(), z.string(), z.number().int()]);
const u32 = z.number().int().min(0).max(0xffffffff);
/** Capture timestamps: decimal strings of epoch seconds, exact. */
const epoch = z.string().regex(/^\d+(\.\d+)?$/);

const serverLeg = z.looseObject({
  tuple,
  isn: u32,
  responderIsn: u32.nullable(),
  requests: z.array(z.string()),
  seqOffset: z.object({ c2s: u32, s2c: u32 }).optional(),
});

const connection = z.looseObject({
  client: z.looseObject({
    tuple,
    isn: u32,
    responderIsn: u32.nullable(),
    synTimes: z.array(epoch),
  }),
  server: z.array(serverLeg),
  requests: z.array(z.string()),
  log: z.looseObject({
    conn: z.number().int(),
    start: z.number(),
    connected: z.number().nullable(),
    end: z.number().nullable(),
    error: z.string().nullable(),
  }),
  note: z.string().optional(),
});

const droppedPacket = z.looseObject({
  tuple,
  seq: u32,
  ack: u32,
  flags: z.number().int(),
  len: z.number().int(),
  ipId: z.number().int(),
  tsval: z.number().int(),
  time: epoch,
});

const sideCounts = z.looseObject({
  packets: z.number().int(),
  tcp: z.number().int(),
  syns: z.number().int(),
  synAcks: z.number().int(),
  rsts: z.number().int(),
});

export const truthSchema = z.looseObject({
  schema: z.literal('dualcap.truth/1'),
  scenario: z.string(),
  description: z.string(),
  addresses: z.looseObject({
    client: z.string(),
    vip: z.string().nullable(),
    mboxClientSide: z.string(),
    mboxServerSide: z.string(),
    server: z.string(),
  }),
  captures: z.looseObject({ client: z.string(), server: z.string() }),
  device: z.looseObject({
    kind: z.enum(['transparent', 'nat', 'sequence-rewriter', 'syn-proxy', 'l4-proxy', 'l7-proxy']),
    terminatesTcp: z.boolean(),
  }),
  behaviours: z.array(z.string()),
  connections: z.array(connection),
  drops: z.looseObject({ c2s: z.array(droppedPacket), s2c: z.array(droppedPacket) }),
  anomalies: z.array(
    z.looseObject({ id: z.string(), side: z.enum(['client', 'server']), tuple, isn: u32, count: z.number() }),
  ),
  counts: z.looseObject({ client: sideCounts, server: sideCounts, connections: z.number().int() }),
});

export type Truth = z.infer<typeof truthSchema>;
export type TruthConnection = Truth['connections'][number];
export type TruthTuple = z.infer<typeof tuple>;

/** Read and validate `dir/truth.json`; throws with zod's message when it does not fit the schema. */
export function loadTruth(dir: string): Truth {
  return truthSchema.parse(JSON.parse(readFileSync(join(dir, 'truth.json'), 'utf8')));
}

/** The samples folder of the repository and its scenarios (folders with a truth.json), sorted. */
export function samplesDir(): string {
  return resolve(process.cwd(), 'samples');
}

export function scenarios(): string[] {
  const dir = samplesDir();
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((d) => existsSync(join(dir, d, 'truth.json')))
    .sort();
}
