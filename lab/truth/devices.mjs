// What each scenario's device is, from its configuration. Behaviours listed in `always` follow from the
// configuration alone; those in `whenSeen` are only listed when independent evidence shows them in this
// run (see evidence.mjs), because a verdict must not claim what the captures cannot show.
const unchanged = { c2s: 'unchanged', s2c: 'unchanged' };
const independent = { c2s: 'independent', s2c: 'independent' };
const noRewrites = {
  srcAddress: false,
  dstAddress: false,
  srcPort: false,
  dstPort: false,
  seq: unchanged,
  options: [],
  payload: false,
};
const proxyLegs = {
  srcAddress: true,
  dstAddress: true,
  srcPort: true,
  dstPort: true,
  seq: independent,
  options: [],
  payload: false,
};

const routed = {
  device: { kind: 'transparent', terminatesTcp: false, rewrites: noRewrites },
  always: ['forwards-packets'],
  whenSeen: ['decrements-ttl'],
};
const haproxyTcp = {
  device: { kind: 'l4-proxy', terminatesTcp: true, rewrites: proxyLegs },
  always: ['terminates-tcp'],
  whenSeen: ['resegments'],
};
// The client side is TLS, the server side plain HTTP: only what the encrypted side still shows is listed.
// HAProxy's HTTP engine rewrites header names (lower case), but the client side's plaintext cannot be
// seen, so modifies-payload is undecidable from the captures and not listed.
const haproxyTls = {
  device: {
    kind: 'l7-proxy',
    terminatesTcp: true,
    terminatesTls: true,
    rewrites: { ...proxyLegs, payload: true },
  },
  always: ['terminates-tcp', 'terminates-tls'],
  whenSeen: ['delays-server-connect'],
};

export const DEVICES = {
  routed,
  // The same router forwarding IPv6.
  routed6: routed,
  nat: {
    device: {
      kind: 'nat',
      terminatesTcp: false,
      rewrites: { ...noRewrites, srcAddress: true, dstAddress: true, srcPort: true, dstPort: true },
    },
    always: [
      'forwards-packets',
      'rewrites-source-address',
      'rewrites-destination-address',
      'rewrites-destination-port',
    ],
    whenSeen: ['decrements-ttl', 'rewrites-source-port'],
  },
  'haproxy-tcp': haproxyTcp,
  // As haproxy-tcp, with IPv6 clients and an IPv4 origin.
  'haproxy-v6': haproxyTcp,
  'nginx-pool': {
    device: { kind: 'l7-proxy', terminatesTcp: true, rewrites: { ...proxyLegs, payload: true } },
    always: ['terminates-tcp'],
    whenSeen: ['modifies-payload', 'pools-connections', 'delays-server-connect'],
  },
  'haproxy-tls': haproxyTls,
  // As haproxy-tls, with server connections shared between client connections (http-reuse always).
  'haproxy-tls-pool': { ...haproxyTls, whenSeen: [...haproxyTls.whenSeen, 'pools-connections'] },
  synproxy: {
    device: {
      kind: 'syn-proxy',
      terminatesTcp: false,
      rewrites: { ...noRewrites, seq: { c2s: 'unchanged', s2c: 'offset' }, options: ['timestamp'] },
    },
    always: ['forwards-packets', 'splices-after-handshake'],
    whenSeen: [
      'answers-syn',
      'delays-server-connect',
      'rewrites-sequence',
      'decrements-ttl',
      'rewrites-options',
      'ignores-handshake-ack',
    ],
  },
  'seed-wrong-synack': {
    device: { kind: 'l4-proxy', terminatesTcp: true, rewrites: proxyLegs },
    always: ['terminates-tcp'],
    whenSeen: ['bogus-syn-ack', 'resegments'],
  },
  'seed-synack-retransmit': {
    device: { kind: 'transparent', terminatesTcp: false, rewrites: noRewrites },
    always: ['forwards-packets'],
    whenSeen: ['decrements-ttl', 'ignores-handshake-ack'],
  },
  drop: {
    device: { kind: 'transparent', terminatesTcp: false, rewrites: noRewrites },
    always: ['forwards-packets'],
    whenSeen: ['decrements-ttl', 'drops-packets'],
  },
};
