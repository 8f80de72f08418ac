// Readiness probe, run inside the client namespace: acts as a relay agent (giaddr = its own
// address, source port 67) and sends a DHCPDISCOVER every 100 ms until an OFFER with the same xid
// comes back. Exits 0 on the first OFFER and 1 when the deadline passes.
//
// usage: node probe.mjs SERVER GIADDR TIMEOUT_MS

import { createSocket } from 'node:dgram';

const [server, giaddr, timeoutArg] = process.argv.slice(2);
const timeoutMs = Number(timeoutArg ?? 10_000);
const DHCP_SERVER_PORT = 67;
const MAGIC_COOKIE = 0x63825363;
const BOOTREPLY = 2;

function buildDiscover(xid) {
  const packet = Buffer.alloc(300);
  packet[0] = 1; // op BOOTREQUEST
  packet[1] = 1; // htype Ethernet
  packet[2] = 6; // hlen
  packet[3] = 1; // hops: one relay agent
  packet.writeUInt32BE(xid, 4);
  giaddr.split('.').forEach((octet, i) => { packet[24 + i] = Number(octet); });
  // chaddr 02:ff:ff:ff:ff:01 lies outside every MAC range the load generators use.
  Buffer.from([0x02, 0xff, 0xff, 0xff, 0xff, 0x01]).copy(packet, 28);
  packet.writeUInt32BE(MAGIC_COOKIE, 236);
  Buffer.from([53, 1, 1, 255]).copy(packet, 240); // DHCP message type DISCOVER, then end
  return packet;
}

const socket = createSocket('udp4');
const xid = (Math.random() * 0xffffffff) >>> 0;
const discover = buildDiscover(xid);

const deadline = setTimeout(() => {
  socket.close();
  process.exitCode = 1;
}, timeoutMs);

socket.on('message', (msg) => {
  if (msg.length < 240 || msg[0] !== BOOTREPLY || msg.readUInt32BE(4) !== xid) return;
  clearTimeout(deadline);
  clearInterval(sender);
  socket.close();
  process.exitCode = 0;
});

let sender;
socket.bind(DHCP_SERVER_PORT, giaddr, () => {
  const send = () => socket.send(discover, DHCP_SERVER_PORT, server);
  send();
  sender = setInterval(send, 100);
});
socket.on('close', () => clearInterval(sender));
