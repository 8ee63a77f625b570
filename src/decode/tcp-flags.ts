/** TCP flag names, in the order tshark lists them. */
import { TCP_ACK, TCP_AE, TCP_CWR, TCP_ECE, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, TCP_URG } from './types.js';

export { TCP_ACK, TCP_AE, TCP_CWR, TCP_ECE, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, TCP_URG };
/** The three bits between the data offset and AE; must be zero (RFC 9293). */
export const TCP_RESERVED = 0xe00;

const NAMES: [number, string][] = [
  [TCP_FIN, 'FIN'],
  [TCP_SYN, 'SYN'],
  [TCP_RST, 'RST'],
  [TCP_PSH, 'PSH'],
  [TCP_ACK, 'ACK'],
  [TCP_URG, 'URG'],
  [TCP_ECE, 'ECE'],
  [TCP_CWR, 'CWR'],
  [TCP_AE, 'AE'],
  [TCP_RESERVED, 'RES'],
];

/** "SYN,ACK"; "" when no flag is set. Reserved bits show as "RES". */
export function tcpFlagsString(flags: number): string {
  let out = '';
  for (const [bit, name] of NAMES) {
    if ((flags & bit) === 0) continue;
    out += out === '' ? name : `,${name}`;
  }
  return out;
}
