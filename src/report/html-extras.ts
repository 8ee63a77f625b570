/**
 * What the ladder diagrams show on hover beyond header fields: the first bytes of each shown packet's
 * payload and its pcapng comments. These come straight from the captures, so they are untrusted text; the
 * renderer escapes them like everything else (html-escape.ts).
 *
 * Only the packets of the collected details are kept (bounded by the details' own limit), each with at most
 * SNIPPET_BYTES of payload and COMMENT_CHARS per comment. A file that cannot be read again gives no extras
 * rather than an error: the report is complete without them.
 */
import { openCapture } from '../capture/index.js';
import type { PairDetail } from '../correlate/detail.js';
import { Decoder } from '../decode/index.js';

export const SNIPPET_BYTES = 64;
export const COMMENT_CHARS = 200;

export interface PacketText {
  /** The payload's first bytes as printable text (see `snippet`); empty when there is no payload. */
  payload: string;
  /** Payload bytes on the wire (the snippet may be shorter). */
  payloadLength: number;
  comments: string[];
}

export interface PacketExtras {
  /** By packet number in the client-side and server-side file. */
  client: Map<number, PacketText>;
  server: Map<number, PacketText>;
}

export function noExtras(): PacketExtras {
  return { client: new Map(), server: new Map() };
}

/**
 * Bytes 0x20-0x7e as themselves, CR and LF as the visible marks \r and \n (so an HTTP header block reads as
 * one line), any other byte as a middle dot.
 */
export function snippet(buf: Uint8Array, offset: number, length: number): string {
  let out = '';
  const end = offset + Math.min(length, SNIPPET_BYTES);
  for (let i = offset; i < end; i++) {
    const b = buf[i]!;
    if (b >= 0x20 && b < 0x7f) out += String.fromCharCode(b);
    else if (b === 0x0d) out += '\\r';
    else if (b === 0x0a) out += '\\n';
    else out += '\u00b7';
  }
  return out;
}

function readSide(path: string, wanted: Set<number>, into: Map<number, PacketText>): void {
  if (wanted.size === 0) return;
  let last = 0;
  for (const n of wanted) last = Math.max(last, n);
  let reader: ReturnType<typeof openCapture>;
  try {
    reader = openCapture(path);
  } catch {
    return;
  }
  const decoder = new Decoder(reader.anomalies);
  try {
    for (let rec = reader.next(); rec !== null && rec.index <= last; rec = reader.next()) {
      if (!wanted.has(rec.index)) continue;
      const comments = rec.comments.map((c) =>
        c.length > COMMENT_CHARS ? `${c.slice(0, COMMENT_CHARS)}...` : c,
      );
      const v = decoder.decode(rec);
      const captured = v.isTcp ? Math.max(0, Math.min(v.payloadCaptured, v.payloadLength)) : 0;
      const payload = captured > 0 ? snippet(v.buf, v.payloadOffset, captured) : '';
      if (payload === '' && comments.length === 0) continue;
      into.set(rec.index, { payload, payloadLength: v.isTcp ? v.payloadLength : 0, comments });
    }
  } catch {
    // Extras are optional: a file that fails on a second reading keeps what was read before the failure.
  } finally {
    reader.close();
  }
}

/** Payload snippets and comments of every packet in `details`, read again from both files. */
export function collectPacketExtras(
  clientPath: string,
  serverPath: string,
  details: PairDetail[],
): PacketExtras {
  const out = noExtras();
  const client = new Set<number>();
  const server = new Set<number>();
  for (const d of details) {
    for (const p of d.client) client.add(p.packet);
    for (const p of d.server) server.add(p.packet);
  }
  readSide(clientPath, client, out.client);
  readSide(serverPath, server, out.server);
  return out;
}
