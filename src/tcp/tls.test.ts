import { describe, expect, test } from '@jest/globals';
import {
  isClientHello,
  isServerHello,
  TLS_ALERT,
  TLS_APPLICATION_DATA,
  TLS_CHANGE_CIPHER_SPEC,
  TLS_HANDSHAKE,
  tlsContentType,
  tlsHandshakeType,
  tlsMarker,
  tlsMarkerText,
} from './tls.js';

const bytes = (...b: number[]) => Uint8Array.from(b);
const mark = (b: Uint8Array, offset = 0, length = b.length - offset) => tlsMarker(b, offset, length);

describe('tlsMarker', () => {
  test('a ClientHello record (TLS 1.0 legacy version in the record header)', () => {
    const m = mark(bytes(0x16, 0x03, 0x01, 0x01, 0x5c, 0x01, 0x00, 0x01, 0x58, 0x03, 0x03));
    expect(tlsContentType(m)).toBe(TLS_HANDSHAKE);
    expect(tlsHandshakeType(m)).toBe(1);
    expect(isClientHello(m)).toBe(true);
    expect(isServerHello(m)).toBe(false);
    expect(tlsMarkerText(m)).toBe('TLS handshake (ClientHello)');
  });

  test('a ServerHello record', () => {
    const m = mark(bytes(0x16, 0x03, 0x03, 0x00, 0x7a, 0x02, 0x00, 0x00, 0x76));
    expect(isServerHello(m)).toBe(true);
    expect(tlsMarkerText(m)).toBe('TLS handshake (ServerHello)');
  });

  test('application data, change_cipher_spec, alert', () => {
    expect(mark(bytes(0x17, 0x03, 0x03, 0x00, 0x35, 0xde, 0xad))).toBe(TLS_APPLICATION_DATA);
    expect(mark(bytes(0x14, 0x03, 0x03, 0x00, 0x01, 0x01))).toBe(TLS_CHANGE_CIPHER_SPEC);
    expect(mark(bytes(0x15, 0x03, 0x03, 0x00, 0x02, 0x01, 0x00))).toBe(TLS_ALERT);
  });

  test('an encrypted handshake record (TLS 1.2 Finished) is a handshake, no hello', () => {
    const m = mark(bytes(0x16, 0x03, 0x03, 0x00, 0x28, 0x8f, 0x11));
    expect(m).toBe(TLS_HANDSHAKE);
    expect(isClientHello(m)).toBe(false);
  });

  test('the header alone (5 bytes captured) still names the content type', () => {
    expect(mark(bytes(0x16, 0x03, 0x01, 0x02, 0x00))).toBe(TLS_HANDSHAKE);
  });

  test('at an offset inside a larger buffer, bounded by the length given', () => {
    const b = bytes(0xff, 0xff, 0x17, 0x03, 0x03, 0x00, 0x10, 0x00);
    expect(mark(b, 2)).toBe(TLS_APPLICATION_DATA);
    expect(tlsMarker(b, 2, 4)).toBe(0);
  });

  test('plain text and near misses are not TLS', () => {
    const http = new TextEncoder().encode('GET / HTTP/1.1\r\n');
    expect(mark(http)).toBe(0);
    expect(mark(bytes(0x13, 0x03, 0x03, 0x00, 0x10))).toBe(0); // type 19
    expect(mark(bytes(0x19, 0x03, 0x03, 0x00, 0x10))).toBe(0); // type 25
    expect(mark(bytes(0x17, 0x02, 0x00, 0x00, 0x10))).toBe(0); // SSL 2 version
    expect(mark(bytes(0x17, 0x03, 0x05, 0x00, 0x10))).toBe(0); // unknown minor version
    expect(mark(bytes(0x17, 0x03, 0x03, 0x00, 0x00))).toBe(0); // empty record
    expect(mark(bytes(0x17, 0x03, 0x03, 0x48, 0x01))).toBe(0); // longer than 2^14 + 2048
    expect(mark(bytes(0x17, 0x03, 0x03, 0x48, 0x00))).toBe(TLS_APPLICATION_DATA); // exactly the limit
    expect(tlsMarkerText(0)).toBe('not TLS');
  });

  test('short or hostile input never throws', () => {
    expect(mark(bytes())).toBe(0);
    expect(mark(bytes(0x16, 0x03, 0x01, 0x00))).toBe(0);
    expect(tlsMarker(bytes(0x16, 0x03, 0x01, 0x00, 0x10), 3, 100)).toBe(0);
    expect(tlsMarker(bytes(0x16, 0x03, 0x01, 0x00, 0x10), -1, 5)).toBe(0);
    expect(tlsMarker(bytes(0x16, 0x03, 0x01, 0x00, 0x10), 0, -3)).toBe(0);
  });
});
