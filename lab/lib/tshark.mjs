// Packet facts read with tshark: the lab's truth and its checker rely on tshark, never on dualcap, so a
// dualcap bug cannot hide in its own test data.
import { spawnSync } from 'node:child_process';

const FIELDS = [
  'frame.number',
  'frame.time_epoch',
  'ip.src',
  'ip.dst',
  'ip.ttl',
  'ip.id',
  'tcp.srcport',
  'tcp.dstport',
  'tcp.seq_raw',
  'tcp.ack_raw',
  'tcp.flags',
  'tcp.len',
  'tcp.options.timestamp.tsval',
  'tcp.window_size_value',
  'ipv6.src',
  'ipv6.dst',
  'ipv6.hlim',
  'tcp.payload',
];

export const FLAG = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10 };

function tshark(args) {
  const r = spawnSync('tshark', args, { encoding: 'latin1', maxBuffer: 1 << 30, timeout: 240000 });
  if (r.status !== 0) throw new Error(`tshark ${args.join(' ')} failed: ${r.stderr || r.error}`);
  return r.stdout;
}

/**
 * Every packet of a capture (.gz too: tshark decompresses). Non-TCP packets keep `tcp: false`.
 * `payload` is the TCP payload as latin1 text when `withPayload`, else ''.
 */
export function readPackets(file, withPayload = true) {
  const fields = withPayload ? FIELDS : FIELDS.slice(0, -1);
  const args = ['-n', '-r', file, '-T', 'fields', '-E', 'separator=\t', '-E', 'occurrence=f'];
  for (const f of fields) args.push('-e', f);
  const out = [];
  for (const line of tshark(args).split('\n')) {
    if (!line) continue;
    const c = line.split('\t');
    const tcp = c[6] !== '' && c[6] !== undefined;
    out.push({
      n: Number(c[0]),
      time: c[1],
      t: Number(c[1]),
      // IPv4 or IPv6 (hop limit as the TTL).
      src: c[2] || c[14] || '',
      dst: c[3] || c[15] || '',
      ttl: c[4] ? Number(c[4]) : c[16] ? Number(c[16]) : -1,
      ipId: c[5] ? Number.parseInt(c[5], 16) : -1,
      tcp,
      sport: tcp ? Number(c[6]) : -1,
      dport: tcp ? Number(c[7]) : -1,
      seq: tcp ? Number(c[8]) : -1,
      ack: tcp ? Number(c[9]) : -1,
      flags: tcp ? Number.parseInt(c[10], 16) : 0,
      len: tcp ? Number(c[11]) : 0,
      tsval: c[12] ? Number(c[12]) : -1,
      window: c[13] ? Number(c[13]) : -1,
      payload: withPayload && c[17] ? Buffer.from(c[17].replaceAll(':', ''), 'hex').toString('latin1') : '',
    });
  }
  return out;
}

export const isSyn = (p) => p.tcp && (p.flags & (FLAG.SYN | FLAG.ACK)) === FLAG.SYN;
export const isSynAck = (p) => p.tcp && (p.flags & (FLAG.SYN | FLAG.ACK)) === (FLAG.SYN | FLAG.ACK);
export const tupleKey = (t) => t.join('|');
export const tupleOf = (p) => [p.src, p.sport, p.dst, p.dport];
export const reverseKey = (p) => tupleKey([p.dst, p.dport, p.src, p.sport]);

/** Connection attempts on one side: one entry per (initiator tuple, ISN), SYN retransmissions folded in. */
export function synAttempts(packets) {
  const byKey = new Map();
  for (const p of packets) {
    if (!isSyn(p)) continue;
    const key = `${tupleKey(tupleOf(p))}#${p.seq}`;
    const a = byKey.get(key);
    if (a) {
      a.synTimes.push(p.t);
      a.synTimeStrings.push(p.time);
    } else
      byKey.set(key, {
        tuple: tupleOf(p),
        isn: p.seq,
        first: p.t,
        synTimes: [p.t],
        synTimeStrings: [p.time],
        synFrame: p.n,
      });
  }
  return [...byKey.values()].sort((a, b) => a.first - b.first);
}

/** Hex-free exact key of a packet for "is this very packet on the other side" checks. */
export const packetKey = (p) =>
  [p.src, p.sport, p.dst, p.dport, p.seq, p.ack, p.flags, p.len, p.ipId, p.tsval].join('|');
