// One client TCP connection carrying HTTP/1.1 requests in sequence, written over a raw socket so the lab
// controls the local port and sees exactly when the connection opens and closes.
import net from 'node:net';
import tls from 'node:tls';
import { bulkBody } from './content.mjs';

/** Largest response the client accepts: bounds memory whatever the peer sends. */
const MAX_RESPONSE = 8 * 1024 * 1024;

function requestBytes(req, host) {
  const path = req.kind === 'down' ? `/down/${req.id}?bytes=${req.bytes}` : `/${req.kind}/${req.id}`;
  const body = req.kind === 'up' ? bulkBody(req.id, 'up', req.bytes) : '';
  const method = req.kind === 'up' ? 'POST' : 'GET';
  const head =
    `${method} ${path} HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: dualcap-lab/1\r\nX-Request-Id: ${req.id}\r\n` +
    (body ? `Content-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` : '') +
    (req.pad ? `X-Pad: ${'p'.repeat(req.pad)}\r\n` : '') +
    '\r\n';
  return head + body;
}

/** Parses one response from the front of `buf`; returns null while incomplete. */
function parseResponse(buf) {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const head = buf.subarray(0, end).toString('latin1');
  const lines = head.split('\r\n');
  const status = Number(lines[0]?.split(' ')[1] ?? 0);
  let length = 0;
  let echoedId = null;
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'content-length') length = Number(value);
    if (name === 'x-request-id') echoedId = value;
  }
  if (!Number.isFinite(length) || length < 0 || length > MAX_RESPONSE)
    throw new Error(`bad content-length ${length}`);
  if (buf.length < end + 4 + length) return null;
  return { status, echoedId, bodyBytes: length, used: end + 4 + length };
}

/**
 * Opens a connection and runs `job.requests` on it. Resolves (never rejects) with a log entry.
 * job: { conn, requests: [{id, kind, bytes}], silentMs?, localPort?, abandon?, timeoutMs? }
 * `abandon(socket)` replaces the normal close: the seed scenario uses it to vanish without telling the peer.
 */
export function runConnection(target, job) {
  return new Promise((resolve) => {
    const entry = {
      conn: job.conn,
      boundPort: job.localPort ?? null,
      note: job.note ?? null,
      localAddress: null,
      localPort: null,
      remoteAddress: target.host,
      remotePort: target.port,
      start: Date.now() / 1000,
      connected: null,
      end: null,
      requests: [],
      error: null,
    };
    const options = { host: target.host, port: target.port };
    if (job.localPort)
      Object.assign(options, { localPort: job.localPort, localAddress: target.localAddress });
    // TLS (target.ca: the device's certificate, trusted as its own CA) is ready on 'secureConnect'.
    const socket = target.ca ? tls.connect({ ...options, ca: target.ca }) : net.connect(options);
    socket.setNoDelay(true);
    let buf = Buffer.alloc(0);
    let index = 0;
    let done = false;
    const finish = (error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      entry.end = Date.now() / 1000;
      if (error) entry.error = error;
      if (!error && job.abandon) job.abandon(socket);
      else if (error) socket.destroy();
      else socket.end();
      resolve(entry);
    };
    const timer = setTimeout(() => finish('timeout'), job.timeoutMs ?? 30000);
    const sendNext = () => {
      const req = job.requests[index];
      if (!req) return finish(null);
      req.sent = Date.now() / 1000;
      socket.write(
        requestBytes(req, `${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}`),
      );
    };
    socket.on(target.ca ? 'secureConnect' : 'connect', () => {
      entry.connected = Date.now() / 1000;
      entry.localAddress = socket.localAddress;
      entry.localPort = socket.localPort;
      setTimeout(sendNext, job.silentMs ?? 0);
    });
    socket.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length > MAX_RESPONSE + 65536) return finish('response too large');
      let parsed;
      try {
        parsed = parseResponse(buf);
      } catch (e) {
        return finish(String(e.message));
      }
      if (!parsed) return;
      const req = job.requests[index];
      entry.requests.push({
        id: req.id,
        kind: req.kind,
        bytes: req.bytes ?? 0,
        status: parsed.status,
        echoedId: parsed.echoedId,
        responseBytes: parsed.bodyBytes,
        sent: req.sent,
        answered: Date.now() / 1000,
      });
      buf = buf.subarray(parsed.used);
      index++;
      sendNext();
    });
    socket.on('error', (e) => finish(e.code ?? String(e.message)));
    socket.on('close', () => finish(index < job.requests.length ? 'closed early' : null));
  });
}

/** Runs jobs with at most `concurrency` connections open at a time, in job order. */
export async function runPool(target, jobs, concurrency, onEntry) {
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const job = jobs[next++];
      onEntry(await runConnection(target, job));
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, jobs.length) }, worker));
}
