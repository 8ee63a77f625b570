/**
 * Writes one Ethernet/IPv4-or-IPv6/TCP frame for a packet descriptor straight into a buffer, with correct IP
 * and TCP checksums. Payload bytes come from a shared pool whose 16-bit prefix sums are precomputed, so the
 * checksum of a 1448-byte payload costs two array reads instead of a loop: this is what lets the generator
 * write millions of full-size frames in seconds.
 */

export const FLAG_FIN = 0x01;
export const FLAG_SYN = 0x02;
export const FLAG_RST = 0x04;
export const FLAG_PSH = 0x08;
export const FLAG_ACK = 0x10;

const POOL_BYTES = 1 << 18;
const CLIENT_MAC = [0x02, 0x00, 0x00, 0x00, 0x00, 0x01];
const GATEWAY_MAC = [0x02, 0x00, 0x00, 0x00, 0x00, 0xfe];

export class PayloadPool {
  constructor(rng) {
    this.bytes = new Uint8Array(POOL_BYTES);
    for (let i = 0; i < POOL_BYTES; i += 4) {
      const v = rng.u32();
      this.bytes[i] = v >>> 24;
      this.bytes[i + 1] = (v >>> 16) & 0xff;
      this.bytes[i + 2] = (v >>> 8) & 0xff;
      this.bytes[i + 3] = v & 0xff;
    }
    // prefix[k] = sum of the first k big-endian 16-bit words (exact in a double: < 2^33).
    this.prefix = new Float64Array(POOL_BYTES / 2 + 1);
    for (let k = 0; k < POOL_BYTES / 2; k++) {
      this.prefix[k + 1] = this.prefix[k] + ((this.bytes[2 * k] << 8) | this.bytes[2 * k + 1]);
    }
  }

  /** An even offset with room for `len` bytes. */
  offsetFor(rng, len) {
    return rng.int(0, (POOL_BYTES - len - 2) >> 1) << 1;
  }

  /** Unfolded one's-complement sum of `len` bytes at even offset `off`. */
  sum(off, len) {
    const w = off >> 1;
    let s = this.prefix[w + (len >> 1)] - this.prefix[w];
    if (len & 1) s += this.bytes[off + len - 1] << 8;
    return s;
  }
}

function fold(s) {
  while (s > 0xffff) s = (s % 65536) + Math.floor(s / 65536);
  return s;
}

function put16(b, at, v) {
  b[at] = (v >>> 8) & 0xff;
  b[at + 1] = v & 0xff;
}

function put32(b, at, v) {
  b[at] = v >>> 24;
  b[at + 1] = (v >>> 16) & 0xff;
  b[at + 2] = (v >>> 8) & 0xff;
  b[at + 3] = v & 0xff;
}

function sumBytes(b, from, to) {
  let s = 0;
  for (let i = from; i < to; i += 2) s += (b[i] << 8) | b[i + 1];
  return s;
}

/**
 * Encodes descriptor `d` (see traffic.mjs) into `b` at 0 and returns the frame length. `view` says how this
 * capture point sees the connection: the client's address and port (the NAT's on the outside) and how many
 * routers each direction has crossed before this point (TTL decrements).
 */
export function encodeFrame(b, d, pool, view) {
  const c = d.conn;
  const fromClient = d.fromClient;
  const v6 = c.family === 6;
  const srcIp = fromClient ? view.clientIp : c.serverIp;
  const dstIp = fromClient ? c.serverIp : view.clientIp;
  const srcPort = fromClient ? view.clientPort : c.serverPort;
  const dstPort = fromClient ? c.serverPort : view.clientPort;
  const ttl = fromClient ? c.clientTtl - view.clientHops : c.serverTtl - view.serverHops;

  // Ethernet: client-side frames go host <-> gateway.
  const srcMac = fromClient ? CLIENT_MAC : GATEWAY_MAC;
  const dstMac = fromClient ? GATEWAY_MAC : CLIENT_MAC;
  for (let i = 0; i < 6; i++) {
    b[i] = dstMac[i];
    b[6 + i] = srcMac[i];
  }
  put16(b, 12, v6 ? 0x86dd : 0x0800);

  const l3 = 14;
  const l4 = l3 + (v6 ? 40 : 20);

  // TCP header and options.
  let opt = l4 + 20;
  if (d.flags & FLAG_SYN) {
    if (c.timestamps) {
      // Linux: MSS, SACK-permitted, timestamps, NOP, window scale.
      put32(b, opt, 0x02040000 | c.mss);
      put16(b, opt + 4, 0x0402);
      put16(b, opt + 6, 0x080a);
      put32(b, opt + 8, d.tsval);
      put32(b, opt + 12, d.tsecr);
      put32(b, opt + 16, 0x01030300 | c.wscale);
      opt += 20;
    } else {
      // Windows: MSS, NOP, window scale, NOP, NOP, SACK-permitted.
      put32(b, opt, 0x02040000 | c.mss);
      put32(b, opt + 4, 0x01030300 | c.wscale);
      put32(b, opt + 8, 0x01010402);
      opt += 12;
    }
  } else if (c.timestamps && !(d.flags & FLAG_RST)) {
    put32(b, opt, 0x0101080a);
    put32(b, opt + 4, d.tsval);
    put32(b, opt + 8, d.tsecr);
    opt += 12;
  }
  const tcpHeaderLen = opt - l4;
  put16(b, l4, srcPort);
  put16(b, l4 + 2, dstPort);
  put32(b, l4 + 4, d.seq);
  put32(b, l4 + 8, d.ack);
  put16(b, l4 + 12, ((tcpHeaderLen >> 2) << 12) | d.flags);
  put16(b, l4 + 14, d.window);
  put16(b, l4 + 16, 0);
  put16(b, l4 + 18, 0);
  b.set(pool.bytes.subarray(d.payOff, d.payOff + d.len), opt);
  const tcpLen = tcpHeaderLen + d.len;

  // IP header, and the pseudo-header part of the TCP checksum.
  let pseudo = 6 + tcpLen;
  if (v6) {
    put32(b, l3, 0x60000000 | c.flowLabel);
    put16(b, l3 + 4, tcpLen);
    b[l3 + 6] = 6;
    b[l3 + 7] = ttl;
    b.set(srcIp, l3 + 8);
    b.set(dstIp, l3 + 24);
    pseudo += sumBytes(b, l3 + 8, l3 + 40);
  } else {
    b[l3] = 0x45;
    b[l3 + 1] = 0;
    put16(b, l3 + 2, 20 + tcpLen);
    put16(b, l3 + 4, d.ipId);
    put16(b, l3 + 6, 0x4000);
    b[l3 + 8] = ttl;
    b[l3 + 9] = 6;
    put16(b, l3 + 10, 0);
    b.set(srcIp, l3 + 12);
    b.set(dstIp, l3 + 16);
    put16(b, l3 + 10, ~fold(sumBytes(b, l3, l3 + 20)) & 0xffff);
    pseudo += sumBytes(b, l3 + 12, l3 + 20);
  }
  const tcpSum = pseudo + sumBytes(b, l4, opt) + pool.sum(d.payOff, d.len);
  put16(b, l4 + 16, ~fold(tcpSum) & 0xffff);
  return opt + d.len;
}
