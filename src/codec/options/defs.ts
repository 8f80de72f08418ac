// Standard DHCPv4 option definitions as ISC Kea 2.2 knows them (name, code, value type, array flag,
// record fields), so that option-data written for Kea names the same options and encodes to the
// same bytes. Codes follow RFC 2132 and the later option RFCs. Left out: options of other spaces
// (vendor sub-options, relay agent sub-options) and the DHCPv6 types that no DHCPv4 option uses.

/** Type of one value field, with Kea's spelling. */
export type OptionFieldType =
  | 'binary'
  | 'boolean'
  | 'int8'
  | 'int16'
  | 'int32'
  | 'uint8'
  | 'uint16'
  | 'uint32'
  | 'ipv4-address'
  | 'ipv6-address'
  | 'psid'
  | 'string'
  | 'fqdn';

/**
 * Type of a whole option: a single field type, a record of fields, 'empty' (no value of its own,
 * a container of sub-options), or 'classless-routes' (the RFC 3442 route list of option 121).
 */
export type OptionType = OptionFieldType | 'record' | 'empty' | 'classless-routes';

export interface OptionDef {
  readonly name: string;
  readonly code: number;
  readonly type: OptionType;
  /** For a record, the array flag applies to its last field only (Kea's rule). */
  readonly isArray: boolean;
  /** Field types of a record; empty for every other type. */
  readonly recordFields: readonly OptionFieldType[];
  /** Option space of the sub-options this option carries; empty for none. */
  readonly encapsulates: string;
}

type Row = [name: string, code: number, type: OptionType, isArray?: boolean, fields?: OptionFieldType[], space?: string];

// One row per option. Kea 2.2 types, with two deliberate differences:
// - domain-name (15) is a plain string: Kea 2.2's table in the manual says fqdn, but its code
//   defines it as a string and sends it as text.
// - classless-static-route (121) is defined with Kea 2.5's text form "prefix/len - router, ...";
//   Kea 2.2 has no definition for it and accepts it only as hex (csv-format false).
const ROWS: readonly Row[] = [
  ['subnet-mask', 1, 'ipv4-address'],
  ['time-offset', 2, 'int32'],
  ['routers', 3, 'ipv4-address', true],
  ['time-servers', 4, 'ipv4-address', true],
  ['name-servers', 5, 'ipv4-address', true],
  ['domain-name-servers', 6, 'ipv4-address', true],
  ['log-servers', 7, 'ipv4-address', true],
  ['cookie-servers', 8, 'ipv4-address', true],
  ['lpr-servers', 9, 'ipv4-address', true],
  ['impress-servers', 10, 'ipv4-address', true],
  ['resource-location-servers', 11, 'ipv4-address', true],
  ['host-name', 12, 'string'],
  ['boot-size', 13, 'uint16'],
  ['merit-dump', 14, 'string'],
  ['domain-name', 15, 'string'],
  ['swap-server', 16, 'ipv4-address'],
  ['root-path', 17, 'string'],
  ['extensions-path', 18, 'string'],
  ['ip-forwarding', 19, 'boolean'],
  ['non-local-source-routing', 20, 'boolean'],
  ['policy-filter', 21, 'ipv4-address', true],
  ['max-dgram-reassembly', 22, 'uint16'],
  ['default-ip-ttl', 23, 'uint8'],
  ['path-mtu-aging-timeout', 24, 'uint32'],
  ['path-mtu-plateau-table', 25, 'uint16', true],
  ['interface-mtu', 26, 'uint16'],
  ['all-subnets-local', 27, 'boolean'],
  ['broadcast-address', 28, 'ipv4-address'],
  ['perform-mask-discovery', 29, 'boolean'],
  ['mask-supplier', 30, 'boolean'],
  ['router-discovery', 31, 'boolean'],
  ['router-solicitation-address', 32, 'ipv4-address'],
  ['static-routes', 33, 'ipv4-address', true],
  ['trailer-encapsulation', 34, 'boolean'],
  ['arp-cache-timeout', 35, 'uint32'],
  ['ieee802-3-encapsulation', 36, 'boolean'],
  ['default-tcp-ttl', 37, 'uint8'],
  ['tcp-keepalive-interval', 38, 'uint32'],
  ['tcp-keepalive-garbage', 39, 'boolean'],
  ['nis-domain', 40, 'string'],
  ['nis-servers', 41, 'ipv4-address', true],
  ['ntp-servers', 42, 'ipv4-address', true],
  ['vendor-encapsulated-options', 43, 'empty', false, [], 'vendor-encapsulated-options-space'],
  ['netbios-name-servers', 44, 'ipv4-address', true],
  ['netbios-dd-server', 45, 'ipv4-address', true],
  ['netbios-node-type', 46, 'uint8'],
  ['netbios-scope', 47, 'string'],
  ['font-servers', 48, 'ipv4-address', true],
  ['x-display-manager', 49, 'ipv4-address', true],
  ['dhcp-requested-address', 50, 'ipv4-address'],
  ['dhcp-lease-time', 51, 'uint32'],
  ['dhcp-option-overload', 52, 'uint8'],
  ['dhcp-message-type', 53, 'uint8'],
  ['dhcp-server-identifier', 54, 'ipv4-address'],
  ['dhcp-parameter-request-list', 55, 'uint8', true],
  ['dhcp-message', 56, 'string'],
  ['dhcp-max-message-size', 57, 'uint16'],
  ['dhcp-renewal-time', 58, 'uint32'],
  ['dhcp-rebinding-time', 59, 'uint32'],
  ['vendor-class-identifier', 60, 'string'],
  ['dhcp-client-identifier', 61, 'binary'],
  ['nwip-domain-name', 62, 'string'],
  ['nwip-suboptions', 63, 'binary'],
  ['nisplus-domain-name', 64, 'string'],
  ['nisplus-servers', 65, 'ipv4-address', true],
  ['tftp-server-name', 66, 'string'],
  ['boot-file-name', 67, 'string'],
  ['mobile-ip-home-agent', 68, 'ipv4-address', true],
  ['smtp-server', 69, 'ipv4-address', true],
  ['pop-server', 70, 'ipv4-address', true],
  ['nntp-server', 71, 'ipv4-address', true],
  ['www-server', 72, 'ipv4-address', true],
  ['finger-server', 73, 'ipv4-address', true],
  ['irc-server', 74, 'ipv4-address', true],
  ['streettalk-server', 75, 'ipv4-address', true],
  ['streettalk-directory-assistance-server', 76, 'ipv4-address', true],
  ['user-class', 77, 'binary'],
  ['slp-directory-agent', 78, 'record', true, ['boolean', 'ipv4-address']],
  ['slp-service-scope', 79, 'record', false, ['boolean', 'string']],
  ['fqdn', 81, 'record', false, ['uint8', 'uint8', 'uint8', 'fqdn']],
  ['dhcp-agent-options', 82, 'empty', false, [], 'dhcp-agent-options-space'],
  ['nds-servers', 85, 'ipv4-address', true],
  ['nds-tree-name', 86, 'string'],
  ['nds-context', 87, 'string'],
  ['bcms-controller-names', 88, 'fqdn', true],
  ['bcms-controller-address', 89, 'ipv4-address', true],
  ['authenticate', 90, 'binary'],
  ['client-last-transaction-time', 91, 'uint32'],
  ['associated-ip', 92, 'ipv4-address', true],
  ['client-system', 93, 'uint16', true],
  ['client-ndi', 94, 'record', false, ['uint8', 'uint8', 'uint8']],
  ['uuid-guid', 97, 'record', false, ['uint8', 'binary']],
  ['uap-servers', 98, 'string'],
  ['geoconf-civic', 99, 'binary'],
  ['pcode', 100, 'string'],
  ['tcode', 101, 'string'],
  ['v6-only-preferred', 108, 'uint32'],
  ['netinfo-server-address', 112, 'ipv4-address', true],
  ['netinfo-server-tag', 113, 'string'],
  ['v4-captive-portal', 114, 'string'],
  ['auto-config', 116, 'uint8'],
  ['name-service-search', 117, 'uint16', true],
  ['subnet-selection', 118, 'ipv4-address'],
  ['domain-search', 119, 'fqdn', true],
  ['classless-static-route', 121, 'classless-routes'],
  ['vivco-suboptions', 124, 'record', false, ['uint32', 'binary']],
  ['vivso-suboptions', 125, 'uint32'],
  ['pana-agent', 136, 'ipv4-address', true],
  ['v4-lost', 137, 'fqdn'],
  ['capwap-ac-v4', 138, 'ipv4-address', true],
  ['sip-ua-cs-domains', 141, 'fqdn', true],
  ['rdnss-selection', 146, 'record', true, ['uint8', 'ipv4-address', 'ipv4-address', 'fqdn']],
  ['v4-portparams', 159, 'record', false, ['uint8', 'psid']],
  ['option-6rd', 212, 'record', true, ['uint8', 'uint8', 'ipv6-address', 'ipv4-address']],
  ['v4-access-domain', 213, 'fqdn'],
];

/** Every standard definition, in code order. */
export const STANDARD_OPTION_DEFS: readonly OptionDef[] = Object.freeze(
  ROWS.map(([name, code, type, isArray = false, fields = [], space = '']) =>
    Object.freeze({ name, code, type, isArray, recordFields: Object.freeze(fields), encapsulates: space }),
  ),
);

const byName = new Map(STANDARD_OPTION_DEFS.map((d) => [d.name, d]));
const byCode = new Map(STANDARD_OPTION_DEFS.map((d) => [d.code, d]));

/** Finds the standard definition with this Kea name; undefined when there is none. */
export function findOptionByName(name: string): OptionDef | undefined {
  return byName.get(name);
}

/** Finds the standard definition for this option code; undefined when there is none. */
export function findOptionByCode(code: number): OptionDef | undefined {
  return byCode.get(code);
}
