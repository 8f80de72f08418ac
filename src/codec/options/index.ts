// The DHCPv4 option registry: standard definitions by name and code, and the encoder from Kea
// option-data text to option value bytes.

export type { OptionDef, OptionFieldType, OptionType } from './defs.js';
export { STANDARD_OPTION_DEFS, findOptionByCode, findOptionByName } from './defs.js';
export type { EncodedOption } from './encode.js';
export { encodeOptionData, encodeOptionDataDetailed, splitCsv } from './encode.js';
export { formatIpv4, parseHexBytes, parseInteger, parseIpv4, parseIpv6, writeDomainName } from './fields.js';
