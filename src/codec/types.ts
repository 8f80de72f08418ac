// Shared shapes of the DHCPv4 codec: the read-only request view the engine consumes and the reply
// plan the engine produces for the encoder. Addresses are unsigned 32-bit integers in host order
// (198.18.0.1 is 0xc6120001); byte strings are Uint8Array views that callers must not keep past
// the batch they came from unless they copy them.

/** Result of decoding one packet; OK means the view is usable, every other value names why it is dropped. */
export const enum DecodeOutcome {
  OK = 0,
  TOO_SHORT = 1,        // fewer than 240 bytes (236-byte header + magic cookie)
  BAD_COOKIE = 2,       // bytes 236..239 are not 99.130.83.99
  NOT_BOOTREQUEST = 3,  // op is not 1
  BAD_HLEN = 4,         // hlen > 16
  NO_MESSAGE_TYPE = 5,  // option 53 absent (BOOTP is not served)
  BAD_MESSAGE_TYPE = 6, // option 53 not one of DISCOVER, REQUEST, DECLINE, RELEASE, INFORM, or wrong length
  NO_CLIENT_KEY = 7,    // hlen 0 and no usable client identifier
}

/** Read access to a decoded request; implemented by codec/view.ts over the received bytes. */
export interface RequestView {
  readonly op: number;
  readonly htype: number;
  readonly hlen: number;
  readonly hops: number;
  readonly xid: number;
  readonly secs: number;
  readonly flags: number;
  readonly ciaddr: number;
  readonly yiaddr: number;
  readonly siaddr: number;
  readonly giaddr: number;
  /** Message type from option 53 (1 DISCOVER, 3 REQUEST, 4 DECLINE, 7 RELEASE, 8 INFORM). */
  readonly messageType: number;
  /** The hlen bytes of chaddr (empty when hlen is 0). */
  chaddr(): Uint8Array;
  /** True when the option occurs anywhere (options area, or file/sname when overloaded). */
  has(code: number): boolean;
  /** Value of the option, instances concatenated per RFC 3396; undefined when absent. */
  option(code: number): Uint8Array | undefined;
  /** Option 50 when exactly 4 bytes, else undefined. */
  requestedIp(): number | undefined;
  /** Option 54 when exactly 4 bytes, else undefined. */
  serverId(): number | undefined;
  /** Option 61 when at least 2 bytes, else undefined. */
  clientId(): Uint8Array | undefined;
  /** Option 57 when exactly 2 bytes, else undefined. */
  maxMessageSize(): number | undefined;
  /** Option 55 (parameter request list), concatenated, else undefined. */
  parameterRequestList(): Uint8Array | undefined;
  /** Option 51 when exactly 4 bytes, else undefined. */
  requestedLeaseTime(): number | undefined;
  /** Raw value of option 82 (all sub-options), undefined when absent or empty. */
  relayAgentInfo(): Uint8Array | undefined;
  /** Value of one sub-option of option 82 (1 circuit-id, 2 remote-id, 5 link-selection, 11 server-id override, 19 relay port). */
  relaySubOption(sub: number): Uint8Array | undefined;
}

/** Everything the encoder needs to build one reply; header fields not listed are copied from the request. */
export interface ReplyPlan {
  /** 2 OFFER, 5 ACK, 6 NAK. Emitted first as option 53. */
  messageType: number;
  ciaddr: number;
  yiaddr: number;
  siaddr: number;
  flags: number;
  /** Server host name for the sname field; empty for none. */
  sname: string;
  /** Boot file name for the file field; empty for none. */
  file: string;
  /** Options after 53, in emission order, each at most once; values longer than 255 bytes are split on encode. */
  options: Array<[code: number, value: Uint8Array]>;
  /** Whether to echo the request's option 82 as the last option (RFC 3046). */
  echoRelayAgentInfo: boolean;
  /** Maximum size of the DHCP message in bytes (from option 57 minus 28, floor 548, capped by the MTU). */
  maxMessageSize: number;
}
