/**
 * The numbers each handshake finding carries (Finding: seq, ack, expectedAck, relatedPacket, relNs), which
 * later stages read instead of the finding's words.
 */
import { describe, expect, test } from '@jest/globals';
import { TCP_ACK, TCP_RST, TCP_SYN } from '../decode/types.js';
import { createView } from '../decode/view.js';
import { checkHandshake } from './handshake-rules.js';
import { type Endpoint, Session } from './session.js';

const client: Endpoint = { ipVersion: 4, addr: [0, 0, 0, 0x0a000001], port: 40000 };
const server: Endpoint = { ipVersion: 4, addr: [0, 0, 0, 0x0a000002], port: 80 };

/** Feed handshake packets [packet number, direction, flags, seq, ack, ms] to the rules of one session. */
function feed(packets: [number, 0 | 1, number, number, number, number][]): Session {
  const session = new Session(0, client, server, 0, 0);
  const v = createView();
  for (const [index, dir, flags, seq, ack, ms] of packets) {
    v.index = index;
    v.flags = flags;
    v.seq = seq;
    v.ack = ack;
    checkHandshake(session, v, dir, ms * 1e6, 10);
  }
  return session;
}

describe('handshake findings carry their numbers', () => {
  test('SYN-ACK acknowledging the wrong number: its seq and ack, the expected ack, the SYN', () => {
    const s = feed([
      [1, 0, TCP_SYN, 0xfffffff0, 0, 0],
      [2, 1, TCP_SYN | TCP_ACK, 0x80000000, 0x8ab20981, 1.5],
    ]);
    expect(s.findings).toEqual([
      expect.objectContaining({
        id: 'tcp.handshake.synack_bad_ack',
        packet: 2,
        seq: 0x80000000,
        ack: 0x8ab20981,
        expectedAck: 0xfffffff1,
        relatedPacket: 1,
        relNs: 1.5e6,
      }),
    ]);
    expect(s.findings[0]!.detail).toContain('acks 0x8ab20981');
  });

  test('SYN-ACK re-sent after the handshake ACK: the handshake ACK is the related packet', () => {
    const s = feed([
      [1, 0, TCP_SYN, 100, 0, 0],
      [2, 1, TCP_SYN | TCP_ACK, 500, 101, 1],
      [3, 0, TCP_ACK, 101, 501, 2],
      [4, 1, TCP_SYN | TCP_ACK, 500, 101, 1000],
    ]);
    expect(s.findings).toEqual([
      expect.objectContaining({
        id: 'tcp.handshake.synack_retransmitted_after_ack',
        packet: 4,
        seq: 500,
        ack: 101,
        expectedAck: null,
        relatedPacket: 3,
        relNs: 1000e6,
      }),
    ]);
  });

  test('RST without ACK after the SYN-ACK: no ack number, the SYN-ACK is the related packet', () => {
    const s = feed([
      [1, 0, TCP_SYN, 100, 0, 0],
      [2, 1, TCP_SYN | TCP_ACK, 500, 101, 1],
      [3, 0, TCP_RST, 101, 0, 2],
    ]);
    expect(s.findings).toEqual([
      expect.objectContaining({
        id: 'tcp.handshake.rst_after_synack',
        packet: 3,
        seq: 101,
        ack: null,
        relatedPacket: 2,
        relNs: 2e6,
      }),
    ]);
  });
});
