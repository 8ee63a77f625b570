/**
 * TLS record marker: does a message start with a TLS record header, and of which kind. Correlation and
 * diagnosis use it to tell an encrypted leg from a plain one: through a device that terminates TLS the two
 * legs share no bytes, so they are paired by sizes and timing, and the device is said to terminate TLS.
 *
 * A record header is 5 bytes (RFC 8446 5.1, RFC 5246 6.2.1): content type (20 change_cipher_spec,
 * 21 alert, 22 handshake, 23 application_data, 24 heartbeat), legacy version 0x0300-0x0304, and a length
 * of at most 2^14 + 2048 (the TLS 1.2 ciphertext limit; TLS 1.3 allows less). A handshake record's first
 * body byte is the handshake message type (1 ClientHello, 2 ServerHello).
 *
 * The marker packs both into one small integer: the content type in bits 0-7, and for handshake records
 * whose type byte was captured, the handshake type in bits 8-15. 0 = not TLS (or not enough bytes to say).
 */

export const TLS_CHANGE_CIPHER_SPEC = 20;
export const TLS_ALERT = 21;
export const TLS_HANDSHAKE = 22;
export const TLS_APPLICATION_DATA = 23;
export const TLS_HEARTBEAT = 24;

export const TLS_CLIENT_HELLO = 1;
export const TLS_SERVER_HELLO = 2;

/** Longest record body any TLS version allows (TLS 1.2 ciphertext: 2^14 + 2048). */
export const TLS_MAX_RECORD_BODY = 16384 + 2048;
/** Record header bytes. */
export const TLS_RECORD_HEADER = 5;

/**
 * The marker of bytes `buf[offset .. offset + length)`, the first bytes of a message. Reads at most 6
 * bytes; never throws on short or hostile input.
 */
export function tlsMarker(buf: Uint8Array, offset: number, length: number): number {
  const avail = Math.min(length, buf.length - offset);
  if (offset < 0 || avail < TLS_RECORD_HEADER) return 0;
  const type = buf[offset]!;
  if (type < TLS_CHANGE_CIPHER_SPEC || type > TLS_HEARTBEAT) return 0;
  // SSL 3.0 (0x0300) to TLS 1.3's legacy 0x0303; 0x0304 only appears in supported_versions, but a header
  // carrying it is still plainly TLS.
  if (buf[offset + 1] !== 3 || buf[offset + 2]! > 4) return 0;
  const bodyLength = (buf[offset + 3]! << 8) | buf[offset + 4]!;
  if (bodyLength === 0 || bodyLength > TLS_MAX_RECORD_BODY) return 0;
  if (type === TLS_HANDSHAKE && avail > TLS_RECORD_HEADER) {
    const handshakeType = buf[offset + TLS_RECORD_HEADER]!;
    // Only the plaintext hellos are named: later handshake records of TLS 1.2 may be encrypted
    // (Finished), so their first byte is no message type.
    if (handshakeType === TLS_CLIENT_HELLO || handshakeType === TLS_SERVER_HELLO)
      return type | (handshakeType << 8);
  }
  return type;
}

/** The record content type of a marker (0 = not TLS). */
export function tlsContentType(marker: number): number {
  return marker & 0xff;
}

/** The handshake message type of a marker (0 = not a hello, or not captured). */
export function tlsHandshakeType(marker: number): number {
  return (marker >> 8) & 0xff;
}

export function isClientHello(marker: number): boolean {
  return (marker & 0xff) === TLS_HANDSHAKE && marker >> 8 === TLS_CLIENT_HELLO;
}

export function isServerHello(marker: number): boolean {
  return (marker & 0xff) === TLS_HANDSHAKE && marker >> 8 === TLS_SERVER_HELLO;
}

/** Words for a marker, e.g. "TLS handshake (ClientHello)". */
export function tlsMarkerText(marker: number): string {
  const type = marker & 0xff;
  if (type === 0) return 'not TLS';
  const names: Record<number, string> = {
    [TLS_CHANGE_CIPHER_SPEC]: 'change_cipher_spec',
    [TLS_ALERT]: 'alert',
    [TLS_HANDSHAKE]: 'handshake',
    [TLS_APPLICATION_DATA]: 'application data',
    [TLS_HEARTBEAT]: 'heartbeat',
  };
  const hello = isClientHello(marker) ? ' (ClientHello)' : isServerHello(marker) ? ' (ServerHello)' : '';
  return `TLS ${names[type] ?? `type ${type}`}${hello}`;
}
