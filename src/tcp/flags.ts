/**
 * Per-packet analysis findings as bits of one number, so the hot path never builds strings. The first group
 * are Wireshark's `tcp.analysis.*` flags with the same names and meanings; the second group are handshake
 * rules Wireshark lacks (`tcp.handshake.*`). Every id is documented in docs/analysis.md.
 */

export const A_RETRANSMISSION = 1 << 0;
export const A_FAST_RETRANSMISSION = 1 << 1;
export const A_SPURIOUS_RETRANSMISSION = 1 << 2;
export const A_OUT_OF_ORDER = 1 << 3;
export const A_LOST_SEGMENT = 1 << 4;
export const A_ACK_LOST_SEGMENT = 1 << 5;
export const A_DUPLICATE_ACK = 1 << 6;
export const A_ZERO_WINDOW = 1 << 7;
export const A_ZERO_WINDOW_PROBE = 1 << 8;
export const A_ZERO_WINDOW_PROBE_ACK = 1 << 9;
export const A_WINDOW_UPDATE = 1 << 10;
export const A_WINDOW_FULL = 1 << 11;
export const A_KEEP_ALIVE = 1 << 12;
export const A_KEEP_ALIVE_ACK = 1 << 13;
export const A_REUSED_PORTS = 1 << 14;
export const A_TFO_SYN = 1 << 15;
export const A_TFO_ACK = 1 << 16;
export const A_TFO_IGNORED = 1 << 17;

export const H_SYNACK_BAD_ACK = 1 << 20;
export const H_SYNACK_RETRANSMITTED_AFTER_ACK = 1 << 21;
export const H_SYN_UNANSWERED = 1 << 22;
export const H_RST_AFTER_SYNACK = 1 << 23;

/** Bit index -> dotted id; empty string for unused bits. */
export const FLAG_IDS: readonly string[] = (() => {
  const ids = new Array<string>(24).fill('');
  const set = (bit: number, id: string) => {
    ids[31 - Math.clz32(bit)] = id;
  };
  set(A_RETRANSMISSION, 'tcp.analysis.retransmission');
  set(A_FAST_RETRANSMISSION, 'tcp.analysis.fast_retransmission');
  set(A_SPURIOUS_RETRANSMISSION, 'tcp.analysis.spurious_retransmission');
  set(A_OUT_OF_ORDER, 'tcp.analysis.out_of_order');
  set(A_LOST_SEGMENT, 'tcp.analysis.lost_segment');
  set(A_ACK_LOST_SEGMENT, 'tcp.analysis.ack_lost_segment');
  set(A_DUPLICATE_ACK, 'tcp.analysis.duplicate_ack');
  set(A_ZERO_WINDOW, 'tcp.analysis.zero_window');
  set(A_ZERO_WINDOW_PROBE, 'tcp.analysis.zero_window_probe');
  set(A_ZERO_WINDOW_PROBE_ACK, 'tcp.analysis.zero_window_probe_ack');
  set(A_WINDOW_UPDATE, 'tcp.analysis.window_update');
  set(A_WINDOW_FULL, 'tcp.analysis.window_full');
  set(A_KEEP_ALIVE, 'tcp.analysis.keep_alive');
  set(A_KEEP_ALIVE_ACK, 'tcp.analysis.keep_alive_ack');
  set(A_REUSED_PORTS, 'tcp.analysis.reused_ports');
  set(A_TFO_SYN, 'tcp.analysis.tfo_syn');
  set(A_TFO_ACK, 'tcp.analysis.tfo_ack');
  set(A_TFO_IGNORED, 'tcp.analysis.tfo_ignored');
  set(H_SYNACK_BAD_ACK, 'tcp.handshake.synack_bad_ack');
  set(H_SYNACK_RETRANSMITTED_AFTER_ACK, 'tcp.handshake.synack_retransmitted_after_ack');
  set(H_SYN_UNANSWERED, 'tcp.handshake.syn_unanswered');
  set(H_RST_AFTER_SYNACK, 'tcp.handshake.rst_after_synack');
  return ids;
})();

/** Dotted ids of the bits set in `flags`, lowest bit first. Allocates: for output, not for hot paths. */
export function flagNames(flags: number): string[] {
  const out: string[] = [];
  for (let bits = flags >>> 0; bits !== 0; bits &= bits - 1) {
    const id = FLAG_IDS[31 - Math.clz32(bits & -bits)];
    if (id) out.push(id);
  }
  return out;
}

/** The bit of a dotted id (with or without the `tcp.analysis.` prefix), or 0 if unknown. */
export function flagBit(id: string): number {
  for (let i = 0; i < FLAG_IDS.length; i++) {
    const full = FLAG_IDS[i]!;
    if (full && (full === id || full === `tcp.analysis.${id}` || full === `tcp.handshake.${id}`))
      return 1 << i;
  }
  return 0;
}
