// Public surface of the DHCPv4 codec. Option definitions live in ./options and are exported there.

export * from './constants.js';
export * from './addr.js';
export { DhcpView, MAX_DECODED_LENGTH } from './view.js';
export { encodeReply } from './encode.js';
export { buildRequest, encodeOptionInstances, type RequestFields, type RequestOptionValue } from './request-builder.js';
export { DecodeOutcome, type ReplyPlan, type RequestView } from './types.js';
