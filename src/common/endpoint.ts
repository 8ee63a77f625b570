/**
 * An address and port as people write them: `10.0.0.1:80`, and for IPv6 the address in brackets,
 * `[fd00::1]:80` (RFC 5952 section 6), since its own colons would run into the port's.
 */
export function endpointText(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** A connection's four-tuple: `source -> destination`. */
export function tupleText(t: { srcIp: string; srcPort: number; dstIp: string; dstPort: number }): string {
  return `${endpointText(t.srcIp, t.srcPort)} -> ${endpointText(t.dstIp, t.dstPort)}`;
}
