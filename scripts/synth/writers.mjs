/**
 * Streaming capture writers: records go into a 16 MiB buffer that is written out with one writeSync when
 * full, so a multi-gigabyte file costs a few hundred system calls and no per-packet I/O.
 */
import { closeSync, openSync, writeSync } from 'node:fs';

const CHUNK = 16 << 20;

class ChunkedFile {
  constructor(path) {
    this.fd = openSync(path, 'w');
    this.buf = Buffer.allocUnsafe(CHUNK);
    this.at = 0;
    this.bytes = 0;
  }

  /** Room for `n` more bytes at `this.at`. */
  reserve(n) {
    if (this.at + n > CHUNK) this.flush();
  }

  flush() {
    let off = 0;
    while (off < this.at) off += writeSync(this.fd, this.buf, off, this.at - off);
    this.bytes += this.at;
    this.at = 0;
  }

  close() {
    this.flush();
    closeSync(this.fd);
  }
}

/**
 * Classic pcap, little-endian, Ethernet; 'us' (magic a1b2c3d4, what every reader takes) or 'ns'. With a
 * snaplen below the frame size, frames are cut as `tcpdump -s SNAPLEN` would (header-only captures).
 */
export class PcapWriter {
  constructor(path, precision = 'us', snaplen = 262144) {
    this.file = new ChunkedFile(path);
    this.ns = precision === 'ns';
    this.snaplen = snaplen;
    this.packets = 0;
    const b = this.file.buf;
    b.writeUInt32LE(this.ns ? 0xa1b23c4d : 0xa1b2c3d4, 0);
    b.writeUInt16LE(2, 4);
    b.writeUInt16LE(4, 6);
    b.writeInt32LE(0, 8);
    b.writeUInt32LE(0, 12);
    b.writeUInt32LE(snaplen, 16);
    b.writeUInt32LE(1, 20);
    this.file.at = 24;
  }

  write(sec, nsec, frame, len) {
    const f = this.file;
    const caplen = Math.min(len, this.snaplen);
    f.reserve(16 + caplen);
    const b = f.buf;
    const at = f.at;
    b.writeUInt32LE(sec, at);
    b.writeUInt32LE(this.ns ? nsec : Math.floor(nsec / 1000), at + 4);
    b.writeUInt32LE(caplen, at + 8);
    b.writeUInt32LE(len, at + 12);
    b.set(frame.subarray(0, caplen), at + 16);
    f.at = at + 16 + caplen;
    this.packets++;
  }

  close() {
    this.file.close();
    return this.file.bytes;
  }
}

/** pcapng, little-endian: SHB, one Ethernet IDB with if_tsresol = 9 (ns), EPBs with optional comments. */
export class PcapngWriter {
  constructor(path, interfaceName = 'eth0') {
    this.file = new ChunkedFile(path);
    this.packets = 0;
    const b = this.file.buf;
    // SHB: no options.
    b.writeUInt32LE(0x0a0d0d0a, 0);
    b.writeUInt32LE(28, 4);
    b.writeUInt32LE(0x1a2b3c4d, 8);
    b.writeUInt16LE(1, 12);
    b.writeUInt16LE(0, 14);
    b.writeBigInt64LE(-1n, 16);
    b.writeUInt32LE(28, 24);
    // IDB: linktype 1, snaplen, if_name, if_tsresol = 9, end of options.
    const name = Buffer.from(interfaceName);
    const namePadded = (name.length + 3) & ~3;
    const idbLen = 16 + (4 + namePadded) + 8 + 4 + 4;
    let at = 28;
    b.writeUInt32LE(1, at);
    b.writeUInt32LE(idbLen, at + 4);
    b.writeUInt16LE(1, at + 8);
    b.writeUInt16LE(0, at + 10);
    b.writeUInt32LE(262144, at + 12);
    at += 16;
    b.writeUInt16LE(2, at);
    b.writeUInt16LE(name.length, at + 2);
    b.fill(0, at + 4, at + 4 + namePadded);
    name.copy(b, at + 4);
    at += 4 + namePadded;
    b.writeUInt16LE(9, at);
    b.writeUInt16LE(1, at + 2);
    b.writeUInt32LE(9, at + 4); // value 9, then three bytes of padding
    at += 8;
    b.writeUInt32LE(0, at); // opt_endofopt
    b.writeUInt32LE(idbLen, at + 4);
    this.file.at = at + 8;
  }

  write(sec, nsec, frame, len, comment = null) {
    const f = this.file;
    const padded = (len + 3) & ~3;
    const commentBytes = comment === null ? null : Buffer.from(comment);
    const optLen = commentBytes ? 4 + ((commentBytes.length + 3) & ~3) + 4 : 0;
    const total = 28 + padded + optLen + 4;
    f.reserve(total);
    const b = f.buf;
    const at = f.at;
    // Nanosecond ticks exceed 2^53 for present-day dates; split them exactly into 32-bit halves.
    const ticks = BigInt(sec) * 1_000_000_000n + BigInt(nsec);
    b.writeUInt32LE(6, at);
    b.writeUInt32LE(total, at + 4);
    b.writeUInt32LE(0, at + 8);
    b.writeUInt32LE(Number(ticks >> 32n), at + 12);
    b.writeUInt32LE(Number(ticks & 0xffffffffn), at + 16);
    b.writeUInt32LE(len, at + 20);
    b.writeUInt32LE(len, at + 24);
    b.set(frame.subarray(0, len), at + 28);
    b.fill(0, at + 28 + len, at + 28 + padded);
    let o = at + 28 + padded;
    if (commentBytes) {
      b.writeUInt16LE(1, o);
      b.writeUInt16LE(commentBytes.length, o + 2);
      const cp = (commentBytes.length + 3) & ~3;
      b.fill(0, o + 4, o + 4 + cp);
      commentBytes.copy(b, o + 4);
      o += 4 + cp;
      b.writeUInt32LE(0, o);
      o += 4;
    }
    b.writeUInt32LE(total, o);
    f.at = o + 4;
    this.packets++;
  }

  close() {
    this.file.close();
    return this.file.bytes;
  }
}
