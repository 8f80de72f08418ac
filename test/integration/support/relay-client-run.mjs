// Runs the built-in relay-agent client (dist/demo/relay-client.js) inside a lab namespace and prints
// one JSON line per ACK as it arrives, then a final summary line.
// Arguments: server giaddr clients [first MAC as a number, default 0x100000].
import { runRelayClients } from '../../../dist/demo/relay-client.js';

const [server, giaddr, clients, macBase] = process.argv.slice(2);
const result = await runRelayClients({
  server, serverPort: 67, giaddr, clients: Number(clients), concurrency: 64,
  macBase: macBase === undefined ? 0x100000 : Number(macBase), timeoutMs: 300, retries: 3,
  onAck: (ack) => process.stdout.write(`${JSON.stringify({ ack })}\n`),
});
process.stdout.write(`${JSON.stringify({ done: { acks: result.acks.length, naks: result.naks, failed: result.failed } })}\n`);
