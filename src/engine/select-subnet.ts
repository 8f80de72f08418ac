// Subnet selection for one request, in Kea 2.2's order (Kea ARM "How the DHCPv4 Server Selects a
// Subnet"; CfgSubnets4::selectSubnet):
//   1. option 82 sub-option 5, link selection (RFC 3527);
//   2. option 118, subnet selection (RFC 3011);
//   3. relayed (giaddr set): a subnet whose relay ip-addresses list contains giaddr, else the
//      subnet containing giaddr;
//   4. ciaddr, when the request was unicast;
//   5. the source address, when the request was unicast;
//   6. the subnet bound to the receiving interface by name, else the subnet containing the
//      server's address on that interface.
// The first rule that applies decides: a link-selection address that matches no subnet selects
// nothing, as in Kea. Shared networks are not modelled here; each subnet stands alone.

import { OPT_SUBNET_SELECTION, RAI_LINK_SELECTION } from '../codec/constants.js';
import type { RequestView } from '../codec/types.js';
import { BROADCAST_ADDRESS, isInSubnet } from './core.js';
import type { SubnetState } from './core.js';
import type { Ingress } from './types.js';

/** Why a subnet was chosen; tests and debug logs use it. */
export type SelectionRule =
  | 'link-selection'
  | 'subnet-selection'
  | 'relay-address'
  | 'giaddr'
  | 'ciaddr'
  | 'source-address'
  | 'interface'
  | 'local-address'
  | 'none';

/** Subnet lookup tables built once from the configuration. */
export class SubnetSelector {
  private readonly subnets: readonly SubnetState[];
  private readonly byRelay = new Map<number, SubnetState>();
  private readonly byInterface = new Map<string, SubnetState>();
  /** Rule that decided the most recent select() call. */
  lastRule: SelectionRule = 'none';

  constructor(subnets: readonly SubnetState[]) {
    // Longest prefix first, so nested subnets resolve to the most specific one.
    this.subnets = [...subnets].sort((a, b) => b.config.prefixLength - a.config.prefixLength);
    for (const s of subnets) {
      for (const relay of s.config.relayAddresses) if (!this.byRelay.has(relay)) this.byRelay.set(relay, s);
      if (s.config.interface !== undefined && !this.byInterface.has(s.config.interface)) {
        this.byInterface.set(s.config.interface, s);
      }
    }
  }

  select(req: RequestView, ingress: Ingress): SubnetState | undefined {
    const linkSelection = readAddress(req.relaySubOption(RAI_LINK_SELECTION));
    if (linkSelection !== undefined) return this.containing(linkSelection, 'link-selection');

    const subnetSelection = readAddress(req.option(OPT_SUBNET_SELECTION));
    if (subnetSelection !== undefined) return this.containing(subnetSelection, 'subnet-selection');

    if (req.giaddr !== 0) {
      const byRelay = this.byRelay.get(req.giaddr);
      if (byRelay !== undefined) {
        this.lastRule = 'relay-address';
        return byRelay;
      }
      return this.containing(req.giaddr, 'giaddr');
    }

    const isUnicast = ingress.destinationAddress !== BROADCAST_ADDRESS;
    if (isUnicast && req.ciaddr !== 0) return this.containing(req.ciaddr, 'ciaddr');
    if (isUnicast && ingress.sourceAddress !== 0 && ingress.sourceAddress !== BROADCAST_ADDRESS) {
      return this.containing(ingress.sourceAddress, 'source-address');
    }

    if (ingress.ifname !== undefined) {
      const byName = this.byInterface.get(ingress.ifname);
      if (byName !== undefined) {
        this.lastRule = 'interface';
        return byName;
      }
    }
    if (ingress.localAddress === 0) {
      this.lastRule = 'none';
      return undefined;
    }
    return this.containing(ingress.localAddress, 'local-address');
  }

  private containing(address: number, rule: SelectionRule): SubnetState | undefined {
    this.lastRule = rule;
    for (const s of this.subnets) if (isInSubnet(address, s.config)) return s;
    this.lastRule = 'none';
    return undefined;
  }
}

/** Reads a 4-byte address option or sub-option value; undefined for any other length. */
export function readAddress(bytes: Uint8Array | undefined): number | undefined {
  if (bytes === undefined || bytes.length !== 4) return undefined;
  return ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
}
