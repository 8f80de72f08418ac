// DHCPv4 wire constants, named as in the RFCs that define them. The header layout comes from
// RFC 951 and RFC 2131 §2, message types and options from RFC 2132 and later option RFCs, and the
// relay agent sub-options from RFC 3046, RFC 3527, RFC 5010, RFC 5107 and RFC 8357.

// Header opcodes (RFC 2131 §2, field `op`).
export const BOOTREQUEST = 1;
export const BOOTREPLY = 2;

// Option 53 values (RFC 2132 §9.6).
export const MSG_DHCPDISCOVER = 1;
export const MSG_DHCPOFFER = 2;
export const MSG_DHCPREQUEST = 3;
export const MSG_DHCPDECLINE = 4;
export const MSG_DHCPACK = 5;
export const MSG_DHCPNAK = 6;
export const MSG_DHCPRELEASE = 7;
export const MSG_DHCPINFORM = 8;

// Option codes (RFC 2132 unless noted).
export const OPT_PAD = 0;
export const OPT_SUBNET_MASK = 1;
export const OPT_TIME_OFFSET = 2;
export const OPT_ROUTER = 3;
export const OPT_TIME_SERVER = 4;
export const OPT_NAME_SERVER = 5;
export const OPT_DOMAIN_NAME_SERVER = 6;
export const OPT_LOG_SERVER = 7;
export const OPT_HOST_NAME = 12;
export const OPT_BOOT_FILE_SIZE = 13;
export const OPT_DOMAIN_NAME = 15;
export const OPT_INTERFACE_MTU = 26;
export const OPT_BROADCAST_ADDRESS = 28;
export const OPT_STATIC_ROUTE = 33;
export const OPT_NTP_SERVERS = 42;
export const OPT_VENDOR_ENCAPSULATED_OPTIONS = 43;
export const OPT_NETBIOS_NAME_SERVERS = 44;
export const OPT_REQUESTED_IP_ADDRESS = 50;
export const OPT_IP_ADDRESS_LEASE_TIME = 51;
export const OPT_OPTION_OVERLOAD = 52;
export const OPT_DHCP_MESSAGE_TYPE = 53;
export const OPT_SERVER_IDENTIFIER = 54;
export const OPT_PARAMETER_REQUEST_LIST = 55;
export const OPT_MESSAGE = 56;
export const OPT_MAXIMUM_DHCP_MESSAGE_SIZE = 57;
export const OPT_RENEWAL_TIME = 58;
export const OPT_REBINDING_TIME = 59;
export const OPT_VENDOR_CLASS_IDENTIFIER = 60;
export const OPT_CLIENT_IDENTIFIER = 61;
export const OPT_TFTP_SERVER_NAME = 66;
export const OPT_BOOTFILE_NAME = 67;
export const OPT_USER_CLASS = 77; // RFC 3004
export const OPT_RAPID_COMMIT = 80; // RFC 4039
export const OPT_CLIENT_FQDN = 81; // RFC 4702
export const OPT_RELAY_AGENT_INFORMATION = 82; // RFC 3046
export const OPT_V6_ONLY_PREFERRED = 108; // RFC 8925
export const OPT_AUTO_CONFIGURE = 116; // RFC 2563
export const OPT_SUBNET_SELECTION = 118; // RFC 3011
export const OPT_DOMAIN_SEARCH = 119; // RFC 3397
export const OPT_CLASSLESS_STATIC_ROUTE = 121; // RFC 3442
export const OPT_VIVCO = 124; // RFC 3925, vendor-identifying vendor class
export const OPT_VIVSO = 125; // RFC 3925, vendor-identifying vendor-specific information
export const OPT_END = 255;

// Option 52 values (RFC 2132 §9.3): which header fields carry options.
export const OVERLOAD_FILE = 1;
export const OVERLOAD_SNAME = 2;
export const OVERLOAD_BOTH = 3;

// Option 82 sub-option codes.
export const RAI_CIRCUIT_ID = 1; // RFC 3046 §3.1
export const RAI_REMOTE_ID = 2; // RFC 3046 §3.2
export const RAI_LINK_SELECTION = 5; // RFC 3527
export const RAI_RELAY_FLAGS = 10; // RFC 5010
export const RAI_SERVER_ID_OVERRIDE = 11; // RFC 5107
export const RAI_RELAY_PORT = 19; // RFC 8357

// Header flags (RFC 2131 §2, Figure 2).
export const FLAG_BROADCAST = 0x8000;

// The magic cookie 99.130.83.99 at the end of the fixed header (RFC 2131 §3).
export const MAGIC_COOKIE = 0x63825363;

// Header field offsets and sizes (RFC 2131 §2, Figure 1).
export const OFF_OP = 0;
export const OFF_HTYPE = 1;
export const OFF_HLEN = 2;
export const OFF_HOPS = 3;
export const OFF_XID = 4;
export const OFF_SECS = 8;
export const OFF_FLAGS = 10;
export const OFF_CIADDR = 12;
export const OFF_YIADDR = 16;
export const OFF_SIADDR = 20;
export const OFF_GIADDR = 24;
export const OFF_CHADDR = 28;
export const OFF_SNAME = 44;
export const OFF_FILE = 108;
export const OFF_COOKIE = 236;
export const OFF_OPTIONS = 240;
export const CHADDR_LEN = 16;
export const SNAME_LEN = 64;
export const FILE_LEN = 128;

/** Smallest BOOTP message: 236-byte header plus the 64-byte vendor area (RFC 951 §3). */
export const BOOTP_MIN_LEN = 300;
/** IP datagram size that every DHCP client must accept (RFC 2131 §2). */
export const DHCP_MIN_MAX_MESSAGE = 576;
/** IPv4 header without options plus UDP header, in bytes. */
export const IP_UDP_HEADER_LEN = 28;
/** DHCP message size that always fits in a 576-byte IP datagram (576 - 28). */
export const DHCP_DEFAULT_MAX_MESSAGE = DHCP_MIN_MAX_MESSAGE - IP_UDP_HEADER_LEN;
/** Largest value one option instance can carry; longer values are split (RFC 3396). */
export const OPTION_MAX_LEN = 255;
