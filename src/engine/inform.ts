// DHCPINFORM (RFC 2131 §4.3.5): the client has an address and asks for configuration only. The
// ACK carries no lease options (51, 58, 59), yiaddr 0, the request's ciaddr, option 54, the
// subnet mask and the requested options; the lease store is neither read nor written. Kea 2.2
// leaves out the subnet mask here; nestor sends it, as RFC 2131 asks, because Windows clients
// use INFORM. A network with no subnet is answered from the global options.

import { MSG_DHCPACK } from '../codec/constants.js';
import { stayQuiet } from './core.js';
import type { EngineCore, RequestContext } from './core.js';
import { decideInformDelivery } from './delivery.js';
import { buildReplyPlan } from './reply-options.js';

export function handleInform(core: EngineCore, ctx: RequestContext): void {
  const plan = buildReplyPlan(ctx, MSG_DHCPACK, 0, ctx.req.ciaddr, undefined, undefined);
  if (!decideInformDelivery(ctx.req, ctx.ingress, plan, core.config.nestor, ctx.result.delivery)) {
    return stayQuiet(ctx, 'drop-inform-no-address');
  }
  ctx.result.reply = plan;
  ctx.result.outcome = 'inform-ack';
}
