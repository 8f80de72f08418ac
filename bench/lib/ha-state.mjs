// HA readiness check, run inside the client namespace: sends Kea's `ha-heartbeat` command over HTTP
// to every peer URL every 200 ms until each peer reports one of its expected states. Prints the last
// state (or error) of every peer as one JSON line and exits 0 when all match, 1 when the deadline passes.
//
// usage: node ha-state.mjs TIMEOUT_MS URL=STATE[|STATE] ...

import { request } from 'node:http';

const [timeoutArg, ...targets] = process.argv.slice(2);
const deadline = Date.now() + Number(timeoutArg);
const POLL_INTERVAL_MS = 200;
const REQUEST_TIMEOUT_MS = 2_000;
const BODY = JSON.stringify({ command: 'ha-heartbeat', service: ['dhcp4'] });

const peers = targets.map((target) => {
  const at = target.lastIndexOf('=');
  return { url: target.slice(0, at), expected: target.slice(at + 1).split('|'), last: 'no answer yet' };
});

/** Send one ha-heartbeat and resolve with the reported state, or with a description of the failure. */
function heartbeat(url) {
  return new Promise((resolve) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(BODY) }, timeout: REQUEST_TIMEOUT_MS }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => { text += chunk; });
      res.on('end', () => {
        try {
          // Kea returns a list with one response per service, and nestor does the same.
          const parsed = JSON.parse(text);
          const answer = Array.isArray(parsed) ? parsed[0] : parsed;
          resolve(answer?.arguments?.state ?? `result ${answer?.result}: ${answer?.text ?? text.slice(0, 200)}`);
        } catch {
          resolve(`HTTP ${res.statusCode}: ${text.slice(0, 200)}`);
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (err) => resolve(`error: ${err.message}`));
    req.end(BODY);
  });
}

for (;;) {
  const states = await Promise.all(peers.map((peer) => heartbeat(peer.url)));
  states.forEach((state, i) => { peers[i].last = state; });
  const ready = peers.every((peer) => peer.expected.includes(peer.last));
  if (ready || Date.now() >= deadline) {
    console.log(JSON.stringify(Object.fromEntries(peers.map((peer) => [peer.url, peer.last]))));
    process.exitCode = ready ? 0 : 1;
    break;
  }
  await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
}
