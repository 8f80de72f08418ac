// Where a reply goes (RFC 2131 §4.1, destination paragraph; RFC 8357 for the relay port):
//   giaddr set            → the relay, at the server port, or at the request's source port when
//                           option 82 carries the relay-port sub-option (RFC 8357 §5);
//   ciaddr set, not a NAK → unicast to ciaddr at the client port;
//   NAK                   → broadcast (RFC 2131 §4.1: a NAK without giaddr is always broadcast);
//   B flag set, or no usable Ethernet address (hlen 0, hlen > 6, htype not 1) → broadcast;
//   otherwise             → unicast to yiaddr and chaddr without ARP.
// DHCPINFORM has its own table (RFC 2131 §4.3.5): always to ciaddr when set, even through a
// relay; to the relay with the B flag when ciaddr is 0; to the source address of a direct
// request; and no reply to a direct request from 0.0.0.0.

import { FLAG_BROADCAST, MSG_DHCPNAK, RAI_RELAY_PORT } from '../codec/constants.js';
import type { ReplyPlan, RequestView } from '../codec/types.js';
import type { NestorSettings } from '../config/types.js';
import { BROADCAST_ADDRESS } from './core.js';
import { DeliveryKind } from './types.js';
import type { Delivery, Ingress } from './types.js';

const HTYPE_ETHERNET = 1;
const ETHERNET_HLEN = 6;

/** Fills `out` with the delivery of an OFFER, ACK or NAK; `ciaddr` is the request's ciaddr unless it was ignored as stray. */
export function decideDelivery(
  req: RequestView,
  ingress: Ingress,
  plan: ReplyPlan,
  ciaddr: number,
  ports: NestorSettings,
  out: Delivery,
): void {
  if (req.giaddr !== 0) return setDelivery(out, DeliveryKind.RELAY, req.giaddr, relayPort(req, ingress, ports));
  if (ciaddr !== 0 && plan.messageType !== MSG_DHCPNAK) return setDelivery(out, DeliveryKind.CIADDR, ciaddr, ports.clientPort);
  if (plan.messageType === MSG_DHCPNAK) return setDelivery(out, DeliveryKind.BROADCAST, BROADCAST_ADDRESS, ports.clientPort);
  if (mustBroadcast(req)) return setDelivery(out, DeliveryKind.BROADCAST, BROADCAST_ADDRESS, ports.clientPort);
  return setDelivery(out, DeliveryKind.YIADDR, plan.yiaddr, ports.clientPort);
}

/**
 * Fills `out` with the delivery of the ACK to a DHCPINFORM and may set the B flag in the plan.
 * Returns false when the reply cannot be delivered (direct request from 0.0.0.0 without ciaddr).
 */
export function decideInformDelivery(req: RequestView, ingress: Ingress, plan: ReplyPlan, ports: NestorSettings, out: Delivery): boolean {
  if (req.ciaddr !== 0) {
    setDelivery(out, DeliveryKind.CIADDR, req.ciaddr, ports.clientPort);
    return true;
  }
  if (req.giaddr !== 0) {
    plan.flags |= FLAG_BROADCAST;
    setDelivery(out, DeliveryKind.RELAY, req.giaddr, relayPort(req, ingress, ports));
    return true;
  }
  if (ingress.sourceAddress === 0 || ingress.sourceAddress === BROADCAST_ADDRESS) return false;
  setDelivery(out, DeliveryKind.CIADDR, ingress.sourceAddress, ports.clientPort);
  return true;
}

/** True when the client cannot take a unicast before it has an address, or asked for broadcast. */
function mustBroadcast(req: RequestView): boolean {
  if ((req.flags & FLAG_BROADCAST) !== 0) return true;
  return req.htype !== HTYPE_ETHERNET || req.hlen === 0 || req.hlen > ETHERNET_HLEN;
}

function relayPort(req: RequestView, ingress: Ingress, ports: NestorSettings): number {
  return req.relaySubOption(RAI_RELAY_PORT) !== undefined ? ingress.sourcePort : ports.serverPort;
}

function setDelivery(out: Delivery, kind: DeliveryKind, address: number, port: number): void {
  out.kind = kind;
  out.address = address;
  out.port = port;
}
