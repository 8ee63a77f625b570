/**
 * The verdict paragraph: what the device is and does, in plain words, with the numbers behind it (port
 * ranges, counts, medians of delays and latencies measured by correlation). Every number comes from the
 * correlation or from a behaviour; a sentence whose facts are missing is left out rather than guessed.
 */
import { endpointText } from '../common/endpoint.js';
import { TIMING_SIMILARITY } from '../correlate/pair-timing.js';
import type { SessionPair } from '../correlate/types.js';
import type { Context } from './context.js';
import { fmtNs, median, plural } from './format.js';
import { carriers } from './rules/handshake.js';
import type { Behaviour, BehaviourId, DeviceKind } from './types.js';

export function summarize(ctx: Context, kind: DeviceKind, behaviours: readonly Behaviour[]): string {
  const get = (id: BehaviourId) => behaviours.find((b) => b.id === id);
  const parts: string[] = [];
  if (kind === 'l4-proxy' || kind === 'l7-proxy') parts.push(...terminating(ctx, get));
  else if (kind === 'unknown') parts.push(unknown(ctx));
  else parts.push(...passThrough(ctx, kind, get));
  for (const id of ['drops-packets', 'injects-packets', 'bogus-syn-ack', 'ignores-handshake-ack'] as const) {
    const b = get(id);
    if (b) parts.push(`${capitalize(b.detail)}.`);
  }
  const never = ctx.c.unpaired.filter((u) => u.side === 'client' && u.reason === 'never-forwarded').length;
  if (never > 0) parts.push(`${plural(never, 'client connection')} never reached the server side.`);
  return parts.join(' ');
}

function unknown(ctx: Context): string {
  const c = ctx.c;
  return `No connection could be followed through the device: ${c.client.sessions.length} client-side and ${c.server.sessions.length} server-side connections, none paired.`;
}

function terminating(ctx: Context, get: (id: BehaviourId) => Behaviour | undefined): string[] {
  const pairs = ctx.terminated;
  const out: string[] = [];
  const synAck = median(
    pairs
      .map((p) => ctx.matchOf(p)?.timing.handshake.clientSynToSynAckNs ?? null)
      .filter((x): x is number => x !== null),
  );
  out.push(
    `The device terminates TCP: ${pairs.length} of ${ctx.c.pairs.length} client connections have their own handshake with the device${
      Number.isNaN(synAck) ? '' : ` (its SYN-ACK a median ${fmtNs(synAck)} after the SYN)`
    }.`,
  );
  const servers = serverLegs(ctx, pairs);
  const delayed = get('delays-server-connect');
  if (servers.count > 0) {
    const when = delayed
      ? `after the client's first request arrives (${delayed.detail.replace(/^.*?: /, '')})`
      : connectDelay(ctx, pairs);
    out.push(
      `It opens ${plural(servers.count, 'separate connection')} to ${servers.to} from ${servers.from} with ports ${servers.ports}${when ? ` ${when}` : ''}.`,
    );
  }
  const req = linkMedian(ctx, pairs, 0);
  const resp = linkMedian(ctx, pairs, 1);
  if (req !== null || resp !== null) {
    const bits = [
      req !== null ? `requests reach the server side a median ${fmtNs(req)} after the client side` : '',
      resp !== null ? `responses reach the client side a median ${fmtNs(resp)} after the server side` : '',
    ].filter((b) => b !== '');
    out.push(`${capitalize(bits.join('; '))}.`);
  }
  const tls = get('terminates-tls');
  if (tls) {
    const timed = pairs.filter(
      (p) => p.messages.length > 0 && p.messages.every((l) => l.similarity <= TIMING_SIMILARITY),
    ).length;
    out.push(
      `It terminates TLS: ${tls.detail}${
        timed > 0
          ? `; the two legs share no bytes, so ${plural(timed, 'connection')} ${timed === 1 ? 'was' : 'were'} paired by timing and message sizes only (weaker evidence than matching content)`
          : ''
      }.`,
    );
  }
  for (const id of ['pools-connections', 'modifies-payload', 'resegments'] as const) {
    const b = get(id);
    if (b) out.push(`${capitalize(b.detail)}.`);
  }
  return out;
}

function connectDelay(ctx: Context, pairs: readonly SessionPair[]): string {
  const delays = pairs
    .map((p) => ctx.matchOf(p)?.timing.handshake.server[0]?.synAfterClientAckNs ?? null)
    .filter((x): x is number => x !== null);
  if (delays.length === 0) return '';
  return `a median ${fmtNs(median(delays))} after the client's handshake ACK`;
}

function linkMedian(ctx: Context, pairs: readonly SessionPair[], dir: 0 | 1): number | null {
  const values: number[] = [];
  for (const p of pairs)
    for (const l of ctx.matchOf(p)?.timing.links ?? []) if (l.dir === dir) values.push(l.firstByteNs);
  return values.length === 0 ? null : median(values);
}

/** Server-side legs of the pairs: how many, from which addresses and ports, to where. */
function serverLegs(ctx: Context, pairs: readonly SessionPair[]) {
  const seen = new Set<number>();
  const from = new Set<string>();
  const to = new Set<string>();
  const ports: number[] = [];
  const poolable = carriers(ctx);
  for (const p of pairs) {
    p.server.forEach((index, i) => {
      if (seen.has(index)) return;
      seen.add(index);
      const t = p.serverTuples[i];
      if (!t) return;
      from.add(t.srcIp);
      to.add(endpointText(t.dstIp, t.dstPort));
      ports.push(t.srcPort);
    });
  }
  const list = (s: Set<string>) => (s.size <= 3 ? [...s].join(', ') : `${s.size} addresses`);
  return {
    count: Math.max(seen.size, poolable.size),
    from: list(from),
    to: list(to),
    ports: ports.length === 0 ? 'unknown' : `${Math.min(...ports)}-${Math.max(...ports)}`,
  };
}

function passThrough(
  ctx: Context,
  kind: DeviceKind,
  get: (id: BehaviourId) => Behaviour | undefined,
): string[] {
  const out: string[] = [];
  const n = ctx.passThrough.length;
  if (kind === 'syn-proxy') {
    const answers = get('answers-syn');
    const delayed = get('delays-server-connect');
    out.push(
      `The device is a SYN proxy: ${answers ? answers.detail : "it answers the client's SYN itself"}; ${
        delayed ? delayed.detail : 'it then connects to the server'
      }; after that it forwards segments one to one.`,
    );
  } else if (kind === 'nat') {
    out.push(`The device translates addresses and forwards packets one to one (${n} connections).`);
  } else if (kind === 'sequence-rewriter') {
    out.push(`The device forwards packets one to one and rewrites sequence numbers (${n} connections).`);
  } else {
    out.push(
      `The device forwards packets one to one without changing addresses, ports or sequence numbers (${n} connections).`,
    );
  }
  for (const id of [
    'rewrites-source-address',
    'rewrites-destination-address',
    'rewrites-source-port',
    'rewrites-destination-port',
    'rewrites-sequence',
    'rewrites-options',
    'decrements-ttl',
    'modifies-payload',
  ] as const) {
    const b = get(id);
    if (b) out.push(`${capitalize(b.detail)}.`);
  }
  const d0 = transitMedian(ctx, 0);
  const d1 = transitMedian(ctx, 1);
  if (d0 !== null || d1 !== null) {
    out.push(
      `Transit through the device: a median ${d0 !== null ? fmtNs(d0) : '?'} client to server and ${
        d1 !== null ? fmtNs(d1) : '?'
      } server to client (median of the connections' medians, clocks aligned to within ${fmtNs(ctx.c.alignment.boundNs)}).`,
    );
  }
  return out;
}

function transitMedian(ctx: Context, dir: 0 | 1): number | null {
  const values: number[] = [];
  for (const p of ctx.passThrough) {
    const d = ctx.matchOf(p)?.delay[dir];
    if (d && d.count > 0) values.push(d.p50Ns);
  }
  return values.length === 0 ? null : median(values);
}

function capitalize(s: string): string {
  return s.length === 0 ? s : s[0]!.toUpperCase() + s.slice(1);
}
