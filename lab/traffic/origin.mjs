// Origin server for the lab: echoes each request's id so requests can be followed across a middlebox, and
// logs every request with the peer address/port it saw (the server-side leg of the connection).
// Usage: node origin.mjs --listen ADDR:PORT --log FILE [--keepalive-ms N]
// Endpoints: GET /r/ID (short echo), GET /down/ID?bytes=N (download), POST /up/ID (upload, body counted).
import { appendFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { bulkBody } from './content.mjs';

const args = new Map();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i], process.argv[i + 1]);
// ADDR:PORT, or [IPV6]:PORT.
const [, host, portText] = /^\[?(.*?)\]?:(\d+)$/.exec(args.get('--listen') ?? '0.0.0.0:8080') ?? [];
const logFile = args.get('--log') ?? '/dev/stdout';
const keepAliveMs = Number(args.get('--keepalive-ms') ?? 120000);
// A download never exceeds this, so a malformed request cannot make the origin allocate without bound.
const MAX_BYTES = 8 * 1024 * 1024;

function log(entry) {
  appendFileSync(logFile, `${JSON.stringify(entry)}\n`);
}

const server = createServer((req, res) => {
  const started = Date.now() / 1000;
  const url = new URL(req.url ?? '/', 'http://origin');
  const [, kind, id = ''] = url.pathname.split('/');
  const headerId = req.headers['x-request-id'] ?? '';
  let received = 0;
  req.on('data', (chunk) => {
    received += chunk.length;
  });
  req.on('end', () => {
    let body;
    if (kind === 'down') {
      const want = Math.min(MAX_BYTES, Math.max(0, Number(url.searchParams.get('bytes') ?? 0) | 0));
      body = bulkBody(id, 'down', want);
    } else {
      body = `id=${id} kind=${kind} received=${received} peer=${req.socket.remoteAddress}:${req.socket.remotePort}\n`;
    }
    res.writeHead(kind === 'r' || kind === 'down' || kind === 'up' ? 200 : 404, {
      'content-type': 'text/plain',
      'content-length': Buffer.byteLength(body),
      'x-request-id': String(headerId),
    });
    res.end(body);
    log({
      id,
      headerId,
      method: req.method,
      path: url.pathname,
      peerAddress: req.socket.remoteAddress,
      peerPort: req.socket.remotePort,
      localAddress: req.socket.localAddress,
      localPort: req.socket.localPort,
      xForwardedFor: req.headers['x-forwarded-for'] ?? null,
      bytesIn: received,
      bytesOut: Buffer.byteLength(body),
      time: started,
    });
  });
});
// Idle client connections stay open long enough for the proxy scenarios to keep stale state.
server.keepAliveTimeout = keepAliveMs;
server.headersTimeout = keepAliveMs + 1000;
server.requestTimeout = 0;
server.listen(Number(portText), host, () => log({ event: 'listening', host, port: Number(portText) }));
process.on('SIGTERM', () => process.exit(0));
