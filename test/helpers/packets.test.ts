/**
 * The packet builders are what every stage's tests stand on, so they are checked twice: by their own
 * invariants (checksums verify, lengths agree) and, when tshark is installed, by Wireshark's dissectors
 * reading the files they write.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from '@jest/globals';
import {
  concatBytes,
  encodeTcpOptions,
  icmpPacket,
  internetChecksum,
  LINKTYPE,
  linuxSynOptions,
  parseIp,
  pcapngBlock,
  pcapngTicks,
  pseudoHeader,
  type RecordSpec,
  simplePacketBlock,
  stripEthernet,
  TcpConversation,
  tcpFlags,
  tcpPacket,
  udpPacket,
  writePcap,
  writePcapng,
} from './packets.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('addresses, flags, options', () => {
  test('parseIp handles IPv4 and every IPv6 text form', () => {
    expect(Array.from(parseIp('192.0.2.255'))).toEqual([192, 0, 2, 255]);
    expect(hex(parseIp('2001:db8::1'))).toBe('20010db8000000000000000000000001');
    expect(hex(parseIp('::'))).toBe('0'.repeat(32));
    expect(hex(parseIp('fe80::'))).toBe(`fe80${'0'.repeat(28)}`);
    expect(hex(parseIp('::ffff:192.0.2.1'))).toBe('00000000000000000000ffffc0000201');
    expect(hex(parseIp('1:2:3:4:5:6:7:8'))).toBe('00010002000300040005000600070008');
    for (const bad of ['1.2.3', '1.2.3.256', '1::2::3', '1:2:3:4:5:6:7:8:9', 'g::1', '1:2:3:4:5:6:7']) {
      expect(() => parseIp(bad)).toThrow();
    }
  });

  test('flag letters map to the TCP header bits', () => {
    expect(tcpFlags('S')).toBe(0x002);
    expect(tcpFlags('SA')).toBe(0x012);
    expect(tcpFlags('FSRPAUECN')).toBe(0x1ff);
    expect(tcpFlags(0xfff)).toBe(0xfff);
    expect(() => tcpFlags('X')).toThrow();
  });

  test('Linux SYN options encode to the 20 bytes Linux sends', () => {
    const opts = encodeTcpOptions(linuxSynOptions(1460, 0x01020304, 0, 7));
    expect(hex(opts)).toBe('020405b4' + '0402' + '080a0102030400000000' + '01' + '030307');
  });

  test('options are padded with EOL to 32-bit words and limited to 40 bytes', () => {
    expect(hex(encodeTcpOptions([{ kind: 'wscale', shift: 14 }]))).toBe('03030e00');
    expect(() => encodeTcpOptions([{ kind: 'raw', type: 99, data: new Uint8Array(40) }])).toThrow();
  });
});

describe('checksums verify', () => {
  // A correct Internet checksum makes the sum over the covered bytes (checksum field included) 0xffff.
  const verifies = (...parts: Uint8Array[]) => expect(internetChecksum(...parts)).toBe(0);

  test('RFC 1071 example', () => {
    const data = Uint8Array.from([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]);
    expect(internetChecksum(data)).toBe(~0xddf2 & 0xffff);
    // An odd split across parts must give the same sum as the whole.
    expect(internetChecksum(data.subarray(0, 3), data.subarray(3))).toBe(internetChecksum(data));
  });

  test('IPv4 header and TCP segment with odd payload', () => {
    const frame = tcpPacket({ src: '10.0.0.1', dst: '10.0.0.2', srcPort: 1, dstPort: 2, payload: 333 });
    const ip = frame.subarray(14);
    verifies(ip.subarray(0, 20));
    const seg = ip.subarray(20);
    verifies(pseudoHeader(ip.subarray(12, 16), ip.subarray(16, 20), 6, seg.length), seg);
  });

  test('IPv6 TCP, UDP and ICMPv6', () => {
    const src = parseIp('2001:db8::1');
    const dst = parseIp('2001:db8::2');
    for (const [frame, proto] of [
      [tcpPacket({ src: '2001:db8::1', dst: '2001:db8::2', srcPort: 1, dstPort: 2, payload: 7 }), 6],
      [udpPacket({ src: '2001:db8::1', dst: '2001:db8::2', srcPort: 53, dstPort: 5353, payload: 'q' }), 17],
      [icmpPacket({ src: '2001:db8::1', dst: '2001:db8::2', type: 128, rest: 0x00010002, payload: 5 }), 58],
    ] as const) {
      const l4 = frame.subarray(14 + 40);
      verifies(pseudoHeader(src, dst, proto, l4.length), l4);
    }
  });

  test('a requested bad checksum is written as given', () => {
    const frame = tcpPacket({ src: '10.0.0.1', dst: '10.0.0.2', srcPort: 1, dstPort: 2, checksum: 0xbeef });
    expect(hex(frame.subarray(14 + 20 + 16, 14 + 20 + 18))).toBe('beef');
  });
});

describe('file writers without tshark', () => {
  test('classic pcap header and record layout, both byte orders', () => {
    const rec: RecordSpec = { tsSec: 1, tsNsec: 2_345_678, data: Uint8Array.of(9, 9), origLen: 60 };
    expect(hex(writePcap([rec], { byteOrder: 'big', precision: 'ns' }))).toBe(
      'a1b23c4d0002000400000000000000000004000000000001000000010023cace000000020000003c0909',
    );
    expect(hex(writePcap([rec]).subarray(24, 32))).toBe('01000000' + '29090000'); // 2345 us, LE
  });

  test('pcapng ticks for decimal and binary resolutions and an offset', () => {
    expect(pcapngTicks(2, 500_000_000, {})).toBe(2_500_000n);
    expect(pcapngTicks(2, 500_000_000, { tsresol: { base: 10, exponent: 9 } })).toBe(2_500_000_000n);
    expect(pcapngTicks(2, 500_000_000, { tsresol: { base: 2, exponent: 20 } })).toBe(2n * 1048576n + 524288n);
    expect(pcapngTicks(1000, 0, { tsoffset: 990 })).toBe(10_000_000n);
  });

  test('pcapng blocks are padded and carry their length twice', () => {
    const b = pcapngBlock(0x12345678, Uint8Array.of(1, 2, 3), 'big');
    expect(hex(b)).toBe('12345678' + '00000010' + '01020300' + '00000010');
  });
});

describe('conversation builder', () => {
  test('sequence and acknowledgement numbers follow the bytes and flags sent', () => {
    const c = new TcpConversation({ client: '10.0.0.1', server: '10.0.0.2', clientIsn: 0xfffffff0 });
    c.handshake().exchange(100, 3000).close();
    const summary = c.packets.map((p) => [p.from, p.flags, p.seq, p.ack, p.payloadLength]);
    expect(summary).toEqual([
      ['client', 0x002, 0xfffffff0, 0, 0],
      ['server', 0x012, 5000, 0xfffffff1, 0],
      ['client', 0x010, 0xfffffff1, 5001, 0],
      ['client', 0x018, 0xfffffff1, 5001, 100],
      ['server', 0x010, 5001, 85, 1448],
      ['server', 0x010, 6449, 85, 1448],
      ['server', 0x018, 7897, 85, 104],
      ['client', 0x010, 85, 8001, 0],
      ['client', 0x011, 85, 8001, 0],
      ['server', 0x011, 8001, 86, 0],
      ['client', 0x010, 86, 8002, 0],
    ]);
    expect(c.packets.every((p, i) => i === 0 || compareTs(c.packets[i - 1] as RecordSpec, p) < 0)).toBe(true);
  });
});

function compareTs(a: RecordSpec, b: RecordSpec): number {
  return a.tsSec !== b.tsSec ? a.tsSec - b.tsSec : a.tsNsec - b.tsNsec;
}

// ---------------------------------------------------------------------------------------------------------
// Against tshark

const tsharkPath = findTshark();
const describeTshark = tsharkPath ? describe : describe.skip;
if (!tsharkPath) process.stdout.write('\n[skip] packet builders vs tshark: tshark not installed; skipped.\n');

function findTshark(): string | null {
  try {
    execFileSync('tshark', ['--version'], { stdio: 'ignore' });
    return 'tshark';
  } catch {
    return null;
  }
}

const workDir = mkdtempSync(join(tmpdir(), 'dualcap-packets-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));
let fileCounter = 0;

/** Runs tshark on `bytes` and returns one array of field values per packet (multiple occurrences joined by ','). */
function tsharkFields(bytes: Uint8Array, fields: string[], extra: string[] = []): string[][] {
  const path = join(workDir, `f${fileCounter++}.cap`);
  writeFileSync(path, bytes);
  const args = [
    '-r',
    path,
    '-n',
    '-T',
    'fields',
    '-E',
    'separator=|',
    '-E',
    'occurrence=a',
    '-E',
    'aggregator=,',
  ];
  for (const f of fields) args.push('-e', f);
  const checks = ['ip', 'tcp', 'udp'].flatMap((p) => ['-o', `${p}.check_checksum:TRUE`]);
  const out = execFileSync(tsharkPath as string, [...args, ...checks, ...extra], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return out
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => l.split('|'));
}

const rec = (data: Uint8Array, i = 0): RecordSpec => ({ tsSec: 1_700_000_000 + i, tsNsec: 0, data });
const GOOD = '1'; // Wireshark's checksum status "Good" as printed by -T fields

describeTshark('builders against tshark', () => {
  test('TCP over Ethernet/VLAN/IPv4 and IPv6: every header field and option', () => {
    const common = {
      srcPort: 40001,
      dstPort: 443,
      seq: 0xdeadbeef,
      ack: 0x01020304,
      flags: 'FSRPAUECN',
      window: 1234,
      urgent: 7,
      payload: 'hello',
      options: [
        { kind: 'mss', value: 1400 },
        { kind: 'nop' },
        { kind: 'wscale', shift: 9 },
        { kind: 'sackPerm' },
        { kind: 'timestamps', tsval: 0xfedcba98, tsecr: 42 },
        { kind: 'sack', blocks: [[100, 200]] },
        { kind: 'raw', type: 253, data: Uint8Array.of(0xab, 0xcd) },
      ],
    } as const;
    const v4 = tcpPacket({
      ...common,
      src: '192.0.2.1',
      dst: '198.51.100.7',
      ip: { ttl: 63, id: 0x4242, df: true, dscp: 46, ecn: 1 },
      link: { vlans: [{ id: 200, tpid: 0x88a8 }, 100] },
    });
    const v6 = tcpPacket({
      ...common,
      src: '2001:db8::a',
      dst: '2001:db8:1::b',
      ip: { ttl: 5, flowLabel: 0xabcde },
    });
    const fields = [
      'ieee8021ad.id',
      'vlan.id',
      'ip.src',
      'ipv6.src',
      'ip.ttl',
      'ipv6.hlim',
      'ip.id',
      'ip.flags.df',
      'ip.dsfield.dscp',
      'ipv6.flow',
      'ip.checksum.status',
      'tcp.srcport',
      'tcp.dstport',
      'tcp.seq_raw',
      'tcp.ack_raw',
      'tcp.flags',
      'tcp.window_size_value',
      'tcp.urgent_pointer',
      'tcp.options.mss_val',
      'tcp.options.wscale.shift',
      'tcp.options.timestamp.tsval',
      'tcp.options.timestamp.tsecr',
      'tcp.options.sack_le',
      'tcp.options.sack_re',
      'tcp.option_kind',
      'tcp.len',
      'tcp.checksum.status',
    ];
    const rows = tsharkFields(writePcap([rec(v4), rec(v6, 1)]), fields, [
      '-o',
      'tcp.relative_sequence_numbers:FALSE',
    ]);
    const kinds = '2,1,3,4,8,5,253,0,0'; // two EOL bytes pad 34 bytes of options to 36
    expect(rows[0]).toEqual(
      ['200', '100', '192.0.2.1', '', '63', '', '0x4242', '1', '46', '', GOOD, '40001', '443']
        .concat([
          '3735928559',
          '16909060',
          '0x01ff',
          '1234',
          '7',
          '1400',
          '9',
          '4275878552',
          '42',
          '100',
          '200',
        ])
        .concat([kinds, '5', GOOD]),
    );
    expect(rows[1]).toEqual(
      ['', '', '', '2001:db8::a', '', '5', '', '', '', '0x0abcde', '', '40001', '443']
        .concat([
          '3735928559',
          '16909060',
          '0x01ff',
          '1234',
          '7',
          '1400',
          '9',
          '4275878552',
          '42',
          '100',
          '200',
        ])
        .concat([kinds, '5', GOOD]),
    );
  });

  test('UDP and ICMP (echo and an error quoting a TCP packet), v4 and v6', () => {
    const quoted = stripEthernet(
      tcpPacket({ src: '10.0.0.2', dst: '10.0.0.9', srcPort: 5, dstPort: 6, payload: 8 }),
    );
    const frames = [
      udpPacket({ src: '10.0.0.1', dst: '10.0.0.2', srcPort: 53, dstPort: 33333, payload: 17 }),
      udpPacket({ src: 'fd00::1', dst: 'fd00::2', srcPort: 53, dstPort: 33333, payload: 0 }),
      icmpPacket({ src: '10.0.0.1', dst: '10.0.0.2', type: 8, rest: 0x12340001, payload: 56 }),
      icmpPacket({
        src: '10.0.0.9',
        dst: '10.0.0.2',
        type: 3,
        code: 4,
        rest: 1400,
        payload: quoted.subarray(0, 28),
      }),
      icmpPacket({ src: 'fd00::1', dst: 'fd00::2', type: 128, rest: 0x12340001, payload: 8 }),
    ];
    const rows = tsharkFields(writePcap(frames.map((f, i) => rec(f, i))), [
      'udp.srcport',
      'udp.length',
      'udp.checksum.status',
      'icmp.type',
      'icmp.code',
      'icmp.checksum.status',
      'icmpv6.type',
      'icmpv6.checksum.status',
      'tcp.srcport',
    ]);
    expect(rows).toEqual([
      ['53', '25', GOOD, '', '', '', '', '', ''],
      ['53', '8', GOOD, '', '', '', '', '', ''],
      ['', '', '', '8', '0', GOOD, '', '', ''],
      ['', '', '', '3', '4', GOOD, '', '', '5'],
      ['', '', '', '', '', '', '128', GOOD, ''],
    ]);
  });

  test('IPv6 extension headers and link types SLL, SLL2, raw, NULL, LOOP', () => {
    const ext = tcpPacket({
      src: '2001:db8::1',
      dst: '2001:db8::2',
      srcPort: 1000,
      dstPort: 2000,
      payload: 3,
      ip: { extensions: [{ kind: 'hopByHop' }, { kind: 'destination', data: new Uint8Array(10) }] },
    });
    const frag = tcpPacket({
      src: '2001:db8::1',
      dst: '2001:db8::2',
      srcPort: 1000,
      dstPort: 2000,
      ip: { extensions: [{ kind: 'fragment', offset: 0, more: true, id: 0xabcdef01 }] },
    });
    const extRows = tsharkFields(writePcap([rec(ext), rec(frag, 1)]), [
      'ipv6.nxt',
      'ipv6.hopopts.nxt',
      'ipv6.dstopts.nxt',
      'ipv6.fraghdr.ident',
      'ipv6.fraghdr.more',
      'tcp.checksum.status',
    ]);
    expect(extRows[0]).toEqual(['0', '60', '6', '', '', GOOD]);
    expect(extRows[1]?.slice(0, 5)).toEqual(['44', '', '', '0xabcdef01', '1']);

    const spec = { src: '10.1.1.1', dst: '10.1.1.2', srcPort: 7, dstPort: 8, payload: 4 };
    for (const linktype of [
      LINKTYPE.LINUX_SLL,
      LINKTYPE.LINUX_SLL2,
      LINKTYPE.RAW,
      LINKTYPE.NULL,
      LINKTYPE.LOOP,
    ]) {
      const frames = [
        tcpPacket({ ...spec, link: { linktype } }),
        tcpPacket({ ...spec, src: '::1', dst: '::2', link: { linktype } }),
      ];
      const rows = tsharkFields(
        writePcap(
          frames.map((f, i) => rec(f, i)),
          { linktype },
        ),
        ['ip.src', 'ipv6.src', 'tcp.srcport', 'tcp.checksum.status'],
      );
      expect({ linktype, rows }).toEqual({
        linktype,
        rows: [
          ['10.1.1.1', '', '7', GOOD],
          ['', '::1', '7', GOOD],
        ],
      });
    }
  });

  test('classic pcap: both byte orders, us and ns, truncated records', () => {
    const frame = tcpPacket({ src: '10.0.0.1', dst: '10.0.0.2', srcPort: 1, dstPort: 2, payload: 100 });
    const records: RecordSpec[] = [
      { tsSec: 1_700_000_000, tsNsec: 123_456_789, data: frame },
      { tsSec: 1_700_000_001, tsNsec: 999_999_999, data: frame.subarray(0, 60), origLen: frame.length },
    ];
    for (const byteOrder of ['little', 'big'] as const) {
      const ns = tsharkFields(writePcap(records, { byteOrder, precision: 'ns' }), [
        'frame.time_epoch',
        'frame.cap_len',
        'frame.len',
      ]);
      expect(ns).toEqual([
        ['1700000000.123456789', '154', '154'],
        ['1700000001.999999999', '60', '154'],
      ]);
      const us = tsharkFields(writePcap(records, { byteOrder }), ['frame.time_epoch']);
      expect(us).toEqual([['1700000000.123456000'], ['1700000001.999999000']]);
    }
  });

  test('pcapng: SHB byte orders, if_tsresol, if_tsoffset, interfaces, EPB comments and flags, SPB', () => {
    const frame = udpPacket({ src: '10.0.0.1', dst: '10.0.0.2', srcPort: 1, dstPort: 2, payload: 3 });
    const interfaces = [
      { name: 'eth0', tsresol: { base: 10, exponent: 9 } },
      { name: 'eth1', tsresol: { base: 2, exponent: 30 }, tsoffset: 1_000_000_000 },
      { linktype: LINKTYPE.RAW, name: 'tun0', tsresol: { base: 10, exponent: 3 } },
    ] as const;
    const packets = [
      { tsSec: 1_700_000_000, tsNsec: 123_456_789, data: frame, interfaceId: 0, comments: ['first', 'ünï'] },
      { tsSec: 1_700_000_002, tsNsec: 500_000_000, data: frame, interfaceId: 1, flags: 0x2 },
      { tsSec: 1_700_000_003, tsNsec: 987_654_321, data: stripEthernet(frame), interfaceId: 2 },
    ];
    for (const byteOrder of ['little', 'big'] as const) {
      const file = concatBytes([
        writePcapng(packets, { byteOrder, interfaces, comments: ['section one'] }),
        writePcapng([{ block: simplePacketBlock(frame, frame.length, byteOrder) }], { byteOrder }),
      ]);
      const rows = tsharkFields(file, [
        'frame.time_epoch',
        'frame.interface_id',
        'frame.interface_name',
        'frame.comment',
        'frame.packet_flags_direction',
        'udp.srcport',
      ]);
      expect(rows.slice(0, 3)).toEqual([
        ['1700000000.123456789', '0', 'eth0', 'first,ünï', '', '1'],
        ['1700000002.500000000', '1', 'eth1', '', '0x00000002', '1'],
        ['1700000003.987000000', '2', 'tun0', '', '', '1'],
      ]);
      // The second section's SPB is read too. (tshark 4.0 reports it on the first section's interface 0, so
      // interface numbering across sections is not checked here.)
      expect(rows).toHaveLength(4);
      expect(rows[3]?.[5]).toBe('1');
    }
  });

  test('a conversation reads as one clean TCP stream; a retransmission is flagged', () => {
    for (const client of ['10.0.0.1', '2001:db8::1']) {
      const c = new TcpConversation({
        client,
        server: client.includes(':') ? '2001:db8::2' : '10.0.0.2',
        clientIsn: 0xffffff00,
        serverIsn: 123,
      });
      c.handshake().exchange(200, 5000).send('client', 'GET / HTTP/1.1\r\n\r\n').retransmit();
      c.send('server', 1).ack('client').close('server');
      const rows = tsharkFields(writePcap(c.packets), [
        'tcp.stream',
        'tcp.seq',
        'tcp.ack',
        'tcp.len',
        'tcp.analysis.flags',
        'tcp.analysis.retransmission',
        'tcp.checksum.status',
      ]);
      expect(rows).toHaveLength(c.packets.length);
      const retransmitted = c.packets.length - 6;
      rows.forEach((r, i) => {
        expect(r[0]).toBe('0');
        expect(r[6]).toBe(GOOD);
        // Wireshark sees nothing odd except the one retransmission we made.
        if (i === retransmitted) expect(r.slice(4, 6)).toEqual(['1', '1']);
        else expect({ i, flags: r[4] }).toEqual({ i, flags: '' });
      });
      // Relative sequence numbers: the server's response starts at 1; the server's last ACK covers both FINs.
      expect(rows[4]?.slice(1, 4)).toEqual(['1', '201', client.includes(':') ? '1428' : '1448']);
      expect(rows.at(-1)?.slice(1, 3)).toEqual(['5003', '220']);
    }
  });
});
