/**
 * Each session's handshake packets as numbers, one typed array per field indexed by session: what pairing
 * reads of the SYN, SYN-ACK and handshake ACK (keys, times, the fields SYNs are compared by). Pairing reads
 * them several times per connection (indexes, coarse points, two rounds of candidates, kinds, clock
 * constraints); through the sessions each read is a chain of objects (session, handshake record, its
 * store) and a time is a new heap number, which cost more than the comparisons themselves on captures of
 * 100,000 connections. Times are ns from the correlation's base second (`SideData.shiftNs` applied): build
 * the table after the shift is set.
 */
import type { Session } from '../tcp/index.js';
import type { SideData } from './types.js';

export const H_SYN = 1;
export const H_SYN_TS = 2;
export const H_SYN_SACK_PERM = 4;
export const H_SYN_ACK = 8;
export const H_HANDSHAKE_ACK = 16;

export class HandshakeTable {
  readonly size: number;
  /** H_* bits per session. */
  readonly has: Uint8Array;
  readonly synSeq: Uint32Array;
  /** The SYN's acknowledgement field (0 on a normal SYN; SYNPROXY's server-side SYN carries one). */
  readonly synAckNumber: Uint32Array;
  readonly synTsval: Uint32Array;
  readonly synNs: Float64Array;
  readonly synMss: Int32Array;
  readonly synWscale: Int32Array;
  readonly synIpId: Int32Array;
  /** The SYN's option kinds (the TCP stage shares one list per distinct list); empty without a SYN. */
  readonly synKinds: (readonly number[])[];
  readonly synAckSeq: Uint32Array;
  readonly synAckNs: Float64Array;
  readonly synAckWindow: Int32Array;
  readonly handshakeAckNs: Float64Array;
  /** The initiator's port. */
  readonly clientPort: Int32Array;

  constructor(side: SideData) {
    const sessions = side.sessions;
    const n = sessions.length;
    const shift = side.shiftNs;
    this.size = n;
    this.has = new Uint8Array(n);
    this.synSeq = new Uint32Array(n);
    this.synAckNumber = new Uint32Array(n);
    this.synTsval = new Uint32Array(n);
    this.synNs = new Float64Array(n);
    this.synMss = new Int32Array(n);
    this.synWscale = new Int32Array(n);
    this.synIpId = new Int32Array(n);
    this.synKinds = new Array(n);
    this.synAckSeq = new Uint32Array(n);
    this.synAckNs = new Float64Array(n);
    this.synAckWindow = new Int32Array(n);
    this.handshakeAckNs = new Float64Array(n);
    this.clientPort = new Int32Array(n);
    for (let i = 0; i < n; i++) this.fill(i, sessions[i]!, shift);
  }

  private fill(i: number, s: Session, shift: number): void {
    let has = 0;
    this.clientPort[i] = s.client.port;
    const syn = s.syn;
    if (syn !== null) {
      has |= H_SYN;
      this.synSeq[i] = syn.seq;
      this.synAckNumber[i] = syn.ack;
      this.synNs[i] = syn.relNs + shift;
      this.synMss[i] = syn.mss;
      this.synWscale[i] = syn.wscale;
      this.synIpId[i] = syn.ipId;
      this.synKinds[i] = syn.optionKinds;
      if (syn.sackPerm) has |= H_SYN_SACK_PERM;
      if (syn.hasTimestamps) {
        has |= H_SYN_TS;
        this.synTsval[i] = syn.tsval;
      }
    } else {
      this.synKinds[i] = NO_KINDS;
    }
    const synAck = s.synAck;
    if (synAck !== null) {
      has |= H_SYN_ACK;
      this.synAckSeq[i] = synAck.seq;
      this.synAckNs[i] = synAck.relNs + shift;
      this.synAckWindow[i] = synAck.window;
    }
    const hsAck = s.handshakeAck;
    if (hsAck !== null) {
      has |= H_HANDSHAKE_ACK;
      this.handshakeAckNs[i] = hsAck.relNs + shift;
    }
    this.has[i] = has;
  }
}

const NO_KINDS: readonly number[] = Object.freeze([]);
