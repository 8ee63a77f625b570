import { describe, expect, test } from '@jest/globals';
import { type TcpOption, tcpPacket } from '../../test/helpers/packets.js';
import type { PacketRecord } from '../capture/types.js';
import { AnomalyLog } from '../common/anomaly.js';
import {
  Decoder,
  TCP_ACK,
  TCP_AE,
  TCP_CWR,
  TCP_ECE,
  TCP_RESERVED,
  TCP_SYN,
  tcpFlagsString,
} from './index.js';

/** Hex with spaces, newlines and `# comments` allowed. */
function hex(text: string): Uint8Array {
  const digits = text.replace(/#[^\n]*/g, '').replace(/\s+/g, '');
  return Uint8Array.from(digits.match(/../g) ?? [], (h) => Number.parseInt(h, 16));
}

function record(bytes: Uint8Array, linktype = 1, len = bytes.length): PacketRecord {
  return {
    index: 11,
    tsSec: 0,
    tsNsec: 0,
    hasTs: true,
    caplen: bytes.length,
    len,
    interfaceId: 0,
    linktype,
    buf: bytes,
    offset: 0,
    comments: [],
    flags: null,
    fileOffset: 0,
  };
}

function decode(bytes: Uint8Array, linktype = 1, len = bytes.length) {
  const log = new AnomalyLog();
  const v = new Decoder(log).decode(record(bytes, linktype, len));
  return { v, log };
}

function withOptions(options: TcpOption[], flags: string | number = 'S', payload = 0) {
  return decode(
    tcpPacket({ src: '10.0.0.1', dst: '10.0.0.2', srcPort: 1, dstPort: 2, flags, options, payload }),
  );
}

// A Linux SYN on raw IPv4 (link type 228): MSS 1460, SACK-permitted, timestamps, NOP, window scale 7.
const LINUX_SYN = hex(`
  45 00 00 3c 00 00 40 00 40 06 00 00 c0 a8 00 0a c0 a8 00 14   # IPv4 192.168.0.10 -> 192.168.0.20
  d4 31 01 bb 9a bc de f0 00 00 00 00 a0 c2 fa f0 00 00 00 00   # 54321 -> 443, seq 0x9abcdef0, SYN+ECE+CWR, win 64240
  02 04 05 b4 04 02 08 0a 00 0f 42 40 00 00 00 00 01 03 03 07   # MSS, SACK-perm, TS 1000000/0, NOP, WS 7
`);

describe('TCP fixed header', () => {
  test('a Linux SYN, byte by byte', () => {
    const { v, log } = decode(LINUX_SYN, 228);
    expect(v.isTcp).toBe(true);
    expect(v.srcPort).toBe(54321);
    expect(v.dstPort).toBe(443);
    expect(v.seq).toBe(0x9abcdef0);
    expect(v.ack).toBe(0);
    expect(v.flags).toBe(TCP_SYN | TCP_ECE | TCP_CWR);
    expect(tcpFlagsString(v.flags)).toBe('SYN,ECE,CWR');
    expect(v.window).toBe(64240);
    expect(v.tcpHeaderLength).toBe(40);
    expect(v.payloadOffset).toBe(60);
    expect(v.payloadLength).toBe(0);
    expect(v.mss).toBe(1460);
    expect(v.sackPerm).toBe(true);
    expect(v.hasTimestamps).toBe(true);
    expect(v.tsval).toBe(1000000);
    expect(v.tsecr).toBe(0);
    expect(v.wscale).toBe(7);
    expect(Array.from(v.optionKinds.subarray(0, v.optionCount))).toEqual([2, 4, 8, 1, 3]);
    expect(log.total).toBe(0);
  });

  test('sequence numbers above 2^31 stay unsigned', () => {
    const { v } = decode(
      tcpPacket({
        src: '10.0.0.1',
        dst: '10.0.0.2',
        srcPort: 1,
        dstPort: 2,
        seq: 0xffffffff,
        ack: 0x80000000,
      }),
    );
    expect(v.seq).toBe(4294967295);
    expect(v.ack).toBe(2147483648);
  });

  test('all 12 flag bits, including AE and the reserved bits', () => {
    const { v } = decode(
      tcpPacket({ src: '10.0.0.1', dst: '10.0.0.2', srcPort: 1, dstPort: 2, flags: 0xfff }),
    );
    expect(v.flags).toBe(0xfff);
    expect(tcpFlagsString(v.flags)).toBe('FIN,SYN,RST,PSH,ACK,URG,ECE,CWR,AE,RES');
    expect(tcpFlagsString(TCP_ACK | TCP_AE)).toBe('ACK,AE');
    expect(tcpFlagsString(TCP_RESERVED & 0x200)).toBe('RES');
    expect(tcpFlagsString(0)).toBe('');
  });

  test('urgent pointer and payload', () => {
    const { v } = decode(
      tcpPacket({
        src: '10.0.0.1',
        dst: '10.0.0.2',
        srcPort: 1,
        dstPort: 2,
        flags: 'AUP',
        urgent: 3,
        payload: 'hello',
      }),
    );
    expect(v.urgent).toBe(3);
    expect(v.payloadLength).toBe(5);
    expect(v.payloadCaptured).toBe(5);
    expect(String.fromCharCode(...v.buf.subarray(v.payloadOffset, v.payloadOffset + 5))).toBe('hello');
  });
});

describe('TCP options', () => {
  test('SACK with 1 to 4 blocks', () => {
    for (let n = 1; n <= 4; n++) {
      const blocks = Array.from({ length: n }, (_, i) => [1000 * (i + 1), 1000 * (i + 1) + 500] as const);
      const opts: TcpOption[] =
        n === 4 ? [{ kind: 'sack', blocks }] : [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'sack', blocks }];
      const { v, log } = withOptions(opts, 'A');
      expect(v.sackCount).toBe(n);
      expect(Array.from(v.sack.subarray(0, 2 * n))).toEqual(blocks.flat());
      expect(log.total).toBe(0);
    }
  });

  test('SACK edges above 2^31 are unsigned', () => {
    const { v } = withOptions([{ kind: 'sack', blocks: [[0xfffffff0, 0x00000010]] }], 'A');
    expect(v.sack[0]).toBe(0xfffffff0);
    expect(v.sack[1]).toBe(0x10);
  });

  test('TFO kind 34: cookie request and cookie', () => {
    expect(withOptions([{ kind: 'tfo', cookie: new Uint8Array(0) }]).v.tfoCookieLength).toBe(0);
    const { v } = withOptions([{ kind: 'tfo', cookie: new Uint8Array(8).fill(0xab) }]);
    expect(v.tfo).toBe(true);
    expect(v.tfoCookieLength).toBe(8);
  });

  test('experimental TFO: kind 254 with ExID 0xF989', () => {
    const data = Uint8Array.from([0xf9, 0x89, 1, 2, 3, 4, 5, 6, 7, 8]);
    const { v } = withOptions([{ kind: 'raw', type: 254, data }]);
    expect(v.tfo).toBe(true);
    expect(v.tfoCookieLength).toBe(8);
  });

  test('kind 253/254 with another ExID is kept as an unknown kind, not TFO', () => {
    const { v, log } = withOptions([{ kind: 'raw', type: 253, data: Uint8Array.from([0x00, 0x01, 9, 9]) }]);
    expect(v.tfo).toBe(false);
    expect(v.optionKinds[0]).toBe(253);
    expect(log.total).toBe(0);
  });

  test('MPTCP (kind 30)', () => {
    const { v } = withOptions([
      { kind: 'raw', type: 30, data: Uint8Array.from([0x01, 0x81, 1, 2, 3, 4, 5, 6, 7, 8]) },
    ]);
    expect(v.mptcp).toBe(true);
    expect(v.optionKinds[0]).toBe(30);
  });

  test('unknown kinds are recorded in order; EOL ends the list', () => {
    const { v } = withOptions([
      { kind: 'raw', type: 99, data: Uint8Array.from([1, 2]) },
      { kind: 'nop' },
      { kind: 'eol' },
      { kind: 'mss', value: 9000 },
    ]);
    expect(Array.from(v.optionKinds.subarray(0, v.optionCount))).toEqual([99, 1, 0]);
    expect(v.mss).toBe(-1);
  });

  test('an option with a length of its kind not allowed is skipped, the walk goes on', () => {
    const { v, log } = withOptions([
      { kind: 'raw', type: 2, data: Uint8Array.from([5]) },
      { kind: 'wscale', shift: 9 },
    ]);
    expect(v.mss).toBe(-1);
    expect(v.wscale).toBe(9);
    expect(log.count('decode.tcp_option_wrong_size')).toBe(1);
  });

  test.each([
    ['length 0', [{ kind: 'raw', type: 8, length: 0 }]],
    ['length 1', [{ kind: 'raw', type: 2, length: 1 }]],
    ['length past the header', [{ kind: 'raw', type: 8, data: Uint8Array.from([0, 0]), length: 30 }]],
  ] as [string, TcpOption[]][])('malformed option (%s): walk stops, anomaly, no throw', (_name, options) => {
    const { v, log } = decode(
      tcpPacket({ src: '10.0.0.1', dst: '10.0.0.2', srcPort: 1, dstPort: 2, options }),
    );
    expect(v.isTcp).toBe(true);
    expect(log.count('decode.bad_tcp_option_length')).toBe(1);
  });

  test('an option kind in the last byte, with no room for its length byte', () => {
    const nops: TcpOption[] = [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'nop' }, { kind: 'nop' }];
    const frame = tcpPacket({ src: '10.0.0.1', dst: '10.0.0.2', srcPort: 1, dstPort: 2, options: nops });
    frame[14 + 20 + 20 + 3] = 2;
    const { v, log } = decode(frame);
    expect(Array.from(v.optionKinds.subarray(0, v.optionCount))).toEqual([1, 1, 1, 2]);
    expect(v.isTcp).toBe(true);
    expect(log.count('decode.bad_tcp_option_length')).toBe(1);
  });
});

describe('bad and truncated TCP headers', () => {
  test('data offset below 5 words: ports and sequence still read, not a TCP header', () => {
    const { v, log } = decode(
      tcpPacket({ src: '10.0.0.1', dst: '10.0.0.2', srcPort: 1, dstPort: 2, seq: 42, dataOffsetWords: 4 }),
    );
    expect(v.isTcp).toBe(false);
    expect(v.srcPort).toBe(1);
    expect(v.seq).toBe(42);
    expect(v.tcpHeaderLength).toBe(16);
    expect(log.count('decode.bad_tcp_data_offset')).toBe(1);
  });

  test('data offset beyond the segment (as in a known malformed capture)', () => {
    const { v, log } = decode(
      tcpPacket({ src: '10.0.0.1', dst: '10.0.0.2', srcPort: 1, dstPort: 2, dataOffsetWords: 7 }),
    );
    expect(v.isTcp).toBe(false);
    expect(v.tcpHeaderLength).toBe(28);
    expect(log.count('decode.bad_tcp_data_offset')).toBe(1);
  });

  test('options cut by the snap length: read as far as captured', () => {
    const full = LINUX_SYN;
    const { v, log } = decode(full.subarray(0, 50), 228, full.length);
    expect(v.isTcp).toBe(true);
    expect(v.truncated).toBe(true);
    expect(v.mss).toBe(1460);
    expect(v.hasTimestamps).toBe(false);
    expect(log.count('decode.truncated_tcp_options')).toBe(1);
  });

  test('payload cut by the snap length: on-wire length kept', () => {
    const frame = tcpPacket({ src: '10.0.0.1', dst: '10.0.0.2', srcPort: 1, dstPort: 2, payload: 1000 });
    const { v, log } = decode(frame.subarray(0, 128), 1, frame.length);
    expect(v.payloadLength).toBe(1000);
    expect(v.payloadCaptured).toBe(128 - 54);
    expect(v.truncated).toBe(true);
    expect(log.count('decode.truncated_payload')).toBe(1);
  });

  test('cut inside the fixed header: ports kept for the flow id', () => {
    const { v, log } = decode(LINUX_SYN.subarray(0, 30), 228, LINUX_SYN.length);
    expect(v.isTcp).toBe(false);
    expect(v.srcPort).toBe(54321);
    expect(v.truncated).toBe(true);
    expect(log.count('decode.truncated_tcp_header')).toBe(1);
  });
});
