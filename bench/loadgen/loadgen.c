// loadgen: a DHCPv4 load generator that acts as a relay agent, for benchmarking servers.
//
// Each exchange is a new client (MAC = mac-base + index) with its own random xid: DISCOVER ->
// OFFER -> REQUEST -> ACK, all relayed (hops 1, giaddr set) and sent from giaddr:67. DISCOVERs
// start at a fixed rate for a fixed time from a token-bucket schedule. There is no retransmission:
// an exchange whose OFFER or ACK does not arrive within --timeout-ms fails, and so does one that
// gets a NAK. One thread, one non-blocking UDP socket, sendmmsg/recvmmsg in batches, no
// allocation per packet. See README.md beside this file for the options and the output fields.

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_RATE 2000000L
#define MAX_DURATION_S 600.0
#define MAX_TIMEOUT_MS 60000L
#define MAX_BATCH 1024
#define MAX_TABLE_SLOTS (1u << 24)  // exchanges in flight, at 56 bytes each (about 0.9 GB)
#define PACKET_SIZE 300             // BOOTP minimum size, as relays and clients send
#define RECV_BUFFER_SIZE 1536
#define CONTROL_BUFFER_SIZE 64  // room for one SCM_TIMESTAMPNS message
#define SOCKET_BUFFER_BYTES (16 * 1024 * 1024)

#define BOOTREQUEST 1
#define BOOTREPLY 2
#define DHCP_FIXED_SIZE 236
#define DHCP_COOKIE 0x63825363u
#define DHCPDISCOVER 1
#define DHCPOFFER 2
#define DHCPREQUEST 3
#define DHCPACK 5
#define DHCPNAK 6
#define OPT_PAD 0
#define OPT_REQUESTED_ADDRESS 50
#define OPT_MESSAGE_TYPE 53
#define OPT_SERVER_ID 54
#define OPT_PARAMETER_LIST 55
#define OPT_END 255

// ---------------------------------------------------------------------------------------------
// Options

struct options {
  struct in_addr server;
  int port;
  struct in_addr giaddr;
  struct in_addr bind;
  bool bind_set;
  int src_port;
  long rate;
  double duration_s;
  uint64_t clients;
  uint64_t mac_base;
  long timeout_ms;
  int batch;
  bool json;
};

static const char USAGE[] =
    "usage: loadgen --server ADDR [--port 67] --giaddr ADDR [--bind ADDR] [--src-port 67]\n"
    "               --rate R --duration S [--clients N] [--mac-base 02:10:00:00:00:00]\n"
    "               [--timeout-ms 1000] [--batch 64] [--json]\n"
    "\n"
    "Relays R new DHCPv4 clients per second for S seconds to ADDR:port (DISCOVER, then REQUEST on\n"
    "each OFFER) and counts completed exchanges and latencies. The socket binds to --bind (default\n"
    "the giaddr) and --src-port (default 67, which needs root). Addresses must be in 198.18.0.0/15\n"
    "or 127.0.0.0/8. --rate: 1 to 2000000 exchanges/s. --duration: up to 600 s. --clients: distinct\n"
    "MACs to cycle over (default R*S). --timeout-ms: time allowed for each reply (OFFER, then ACK).\n"
    "--batch: datagrams per sendmmsg/recvmmsg call, 1 to 1024. --json: print one JSON line.\n";

static void fail_usage(const char* message, const char* value) {
  if (value != NULL) {
    fprintf(stderr, "loadgen: %s: '%s'\n\n%s", message, value, USAGE);
  } else {
    fprintf(stderr, "loadgen: %s\n\n%s", message, USAGE);
  }
  exit(2);
}

// Accepts only the benchmark range 198.18.0.0/15 and loopback, so a typo cannot aim a flood at
// a real network.
static bool address_allowed(struct in_addr address) {
  uint32_t host = ntohl(address.s_addr);
  return (host & 0xfffe0000u) == 0xc6120000u || (host >> 24) == 127;
}

static struct in_addr parse_address(const char* name, const char* text) {
  struct in_addr address;
  if (inet_pton(AF_INET, text, &address) != 1) fail_usage(name, text);
  if (!address_allowed(address)) {
    fprintf(stderr, "loadgen: %s '%s' is outside 198.18.0.0/15 and 127.0.0.0/8\n", name, text);
    exit(2);
  }
  return address;
}

static long parse_long(const char* name, const char* text, long min, long max) {
  char* end = NULL;
  errno = 0;
  long value = strtol(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || value < min || value > max) {
    fprintf(stderr, "loadgen: %s '%s' is invalid (expected an integer from %ld to %ld)\n", name,
            text, min, max);
    exit(2);
  }
  return value;
}

static double parse_seconds(const char* name, const char* text, double max) {
  char* end = NULL;
  errno = 0;
  double value = strtod(text, &end);
  if (errno != 0 || end == text || *end != '\0' || !(value > 0.0) || value > max) {
    fprintf(stderr, "loadgen: %s '%s' is invalid (expected seconds above 0, at most %g)\n", name,
            text, max);
    exit(2);
  }
  return value;
}

static uint64_t parse_mac(const char* text) {
  unsigned int bytes[6];
  char tail;
  if (sscanf(text, "%2x:%2x:%2x:%2x:%2x:%2x%c", &bytes[0], &bytes[1], &bytes[2], &bytes[3],
             &bytes[4], &bytes[5], &tail) != 6) {
    fail_usage("--mac-base is invalid (expected six hex bytes like 02:10:00:00:00:00)", text);
  }
  uint64_t mac = 0;
  for (int i = 0; i < 6; i++) mac = (mac << 8) | bytes[i];
  return mac;
}

static void parse_options(int argc, char** argv, struct options* options) {
  static const struct option LONG_OPTIONS[] = {
      {"server", required_argument, NULL, 's'},   {"port", required_argument, NULL, 'p'},
      {"giaddr", required_argument, NULL, 'g'},   {"bind", required_argument, NULL, 'b'},
      {"src-port", required_argument, NULL, 'P'}, {"rate", required_argument, NULL, 'r'},
      {"duration", required_argument, NULL, 'd'}, {"clients", required_argument, NULL, 'n'},
      {"mac-base", required_argument, NULL, 'm'}, {"timeout-ms", required_argument, NULL, 't'},
      {"batch", required_argument, NULL, 'B'},    {"json", no_argument, NULL, 'j'},
      {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0}};
  bool server_set = false;
  bool giaddr_set = false;
  memset(options, 0, sizeof(*options));
  options->port = 67;
  options->src_port = 67;
  options->mac_base = 0x021000000000ull;
  options->timeout_ms = 1000;
  options->batch = 64;

  int option;
  while ((option = getopt_long(argc, argv, "", LONG_OPTIONS, NULL)) != -1) {
    switch (option) {
      case 's': options->server = parse_address("--server", optarg); server_set = true; break;
      case 'p': options->port = (int)parse_long("--port", optarg, 1, 65535); break;
      case 'g': options->giaddr = parse_address("--giaddr", optarg); giaddr_set = true; break;
      case 'b': options->bind = parse_address("--bind", optarg); options->bind_set = true; break;
      case 'P': options->src_port = (int)parse_long("--src-port", optarg, 1, 65535); break;
      case 'r': options->rate = parse_long("--rate", optarg, 1, MAX_RATE); break;
      case 'd': options->duration_s = parse_seconds("--duration", optarg, MAX_DURATION_S); break;
      case 'n': options->clients = (uint64_t)parse_long("--clients", optarg, 1, 1L << 40); break;
      case 'm': options->mac_base = parse_mac(optarg); break;
      case 't': options->timeout_ms = parse_long("--timeout-ms", optarg, 1, MAX_TIMEOUT_MS); break;
      case 'B': options->batch = (int)parse_long("--batch", optarg, 1, MAX_BATCH); break;
      case 'j': options->json = true; break;
      case 'h': fputs(USAGE, stdout); exit(0);
      default: fail_usage("unknown option", NULL);
    }
  }
  if (optind < argc) fail_usage("unexpected argument", argv[optind]);
  if (!server_set) fail_usage("--server is missing", NULL);
  if (!giaddr_set) fail_usage("--giaddr is missing", NULL);
  if (options->rate == 0) fail_usage("--rate is missing", NULL);
  if (options->duration_s == 0.0) fail_usage("--duration is missing", NULL);
  if (!options->bind_set) options->bind = options->giaddr;
}

// ---------------------------------------------------------------------------------------------
// Clock, random numbers, latency histograms

static uint64_t monotonic_ns(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
}

static uint64_t realtime_ns(void) {
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  return (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
}

static uint64_t random_state;

static uint32_t random_u32(void) {  // xorshift64*
  random_state ^= random_state >> 12;
  random_state ^= random_state << 25;
  random_state ^= random_state >> 27;
  return (uint32_t)((random_state * 0x2545F4914F6CDD1Dull) >> 32);
}

// Log-linear histogram of microseconds: values below 64 have a bucket each, and every power of
// two above is split into 32 buckets, so a reported percentile is at most about 3% above the
// true value.
#define HISTOGRAM_SUB_BITS 5
#define HISTOGRAM_LINEAR (2u << HISTOGRAM_SUB_BITS)
#define HISTOGRAM_BUCKETS (HISTOGRAM_LINEAR + (64 - HISTOGRAM_SUB_BITS - 1) * (1u << HISTOGRAM_SUB_BITS))

struct histogram {
  uint64_t counts[HISTOGRAM_BUCKETS];
  uint64_t total;
  uint64_t sum;
  uint64_t max;
};

static unsigned histogram_bucket(uint64_t value) {
  if (value < HISTOGRAM_LINEAR) return (unsigned)value;
  unsigned exponent = 63u - (unsigned)__builtin_clzll(value);  // >= HISTOGRAM_SUB_BITS + 1
  unsigned shift = exponent - HISTOGRAM_SUB_BITS;
  unsigned mantissa = (unsigned)(value >> shift) & ((1u << HISTOGRAM_SUB_BITS) - 1);
  return HISTOGRAM_LINEAR + (exponent - HISTOGRAM_SUB_BITS - 1) * (1u << HISTOGRAM_SUB_BITS) +
         mantissa;
}

// Largest value that falls into the bucket.
static uint64_t histogram_bucket_top(unsigned bucket) {
  if (bucket < HISTOGRAM_LINEAR) return bucket;
  unsigned offset = bucket - HISTOGRAM_LINEAR;
  unsigned exponent = offset / (1u << HISTOGRAM_SUB_BITS) + HISTOGRAM_SUB_BITS + 1;
  unsigned mantissa = offset % (1u << HISTOGRAM_SUB_BITS);
  unsigned shift = exponent - HISTOGRAM_SUB_BITS;
  uint64_t low = ((uint64_t)((1u << HISTOGRAM_SUB_BITS) | mantissa)) << shift;
  return low + ((1ull << shift) - 1);
}

static void histogram_record(struct histogram* histogram, uint64_t value) {
  histogram->counts[histogram_bucket(value)]++;
  histogram->total++;
  histogram->sum += value;
  if (value > histogram->max) histogram->max = value;
}

static uint64_t histogram_mean(const struct histogram* histogram) {
  return histogram->total == 0 ? 0 : (histogram->sum + histogram->total / 2) / histogram->total;
}

static uint64_t histogram_percentile(const struct histogram* histogram, double percent) {
  if (histogram->total == 0) return 0;
  uint64_t rank = (uint64_t)ceil(percent / 100.0 * (double)histogram->total);
  if (rank == 0) rank = 1;
  uint64_t seen = 0;
  for (unsigned bucket = 0; bucket < HISTOGRAM_BUCKETS; bucket++) {
    seen += histogram->counts[bucket];
    if (seen >= rank) {
      uint64_t top = histogram_bucket_top(bucket);
      return top < histogram->max ? top : histogram->max;
    }
  }
  return histogram->max;
}

// ---------------------------------------------------------------------------------------------
// Exchange table
//
// Exchanges live in a ring indexed by their sequence number, oldest first, so timeouts are found
// by walking from the oldest end. A separate open-addressing table (linear probing) maps each
// in-flight xid to its ring slot. Both are allocated once at start.

enum exchange_state { STATE_FREE = 0, STATE_WAIT_OFFER, STATE_WAIT_ACK, STATE_DONE };

struct exchange {
  uint64_t sent_ns;      // when the DISCOVER, and later the REQUEST, was sent
  uint64_t deadline_ns;  // sent_ns + timeout
  uint64_t mac;
  uint32_t xid;
  uint8_t offered[4];  // yiaddr of the OFFER, requested in option 50 and expected in the ACK
  uint8_t state;
};

struct xid_entry {
  uint32_t xid;
  uint32_t slot_plus_one;  // 0 marks an empty entry
};

struct table {
  struct exchange* ring;
  uint64_t ring_mask;
  uint64_t oldest;  // sequence number of the oldest exchange that may still be in flight
  uint64_t next;    // sequence number the next DISCOVER gets
  uint64_t active;  // exchanges waiting for an OFFER or an ACK
  struct xid_entry* xids;
  uint32_t xid_mask;
};

static uint64_t next_power_of_two(uint64_t value) {
  uint64_t power = 1;
  while (power < value) power <<= 1;
  return power;
}

static void table_init(struct table* table, uint64_t ring_slots) {
  uint64_t xid_slots = ring_slots * 2;
  table->ring = calloc(ring_slots, sizeof(struct exchange));
  table->xids = calloc(xid_slots, sizeof(struct xid_entry));
  if (table->ring == NULL || table->xids == NULL) {
    fprintf(stderr, "loadgen: cannot allocate the exchange table (%" PRIu64 " slots)\n",
            ring_slots);
    exit(1);
  }
  table->ring_mask = ring_slots - 1;
  table->xid_mask = (uint32_t)(xid_slots - 1);
  table->oldest = 0;
  table->next = 0;
  table->active = 0;
}

static uint32_t xid_home(const struct table* table, uint32_t xid) {
  return (xid * 0x9E3779B1u) & table->xid_mask;
}

// Returns the ring slot of an in-flight exchange with this xid, or -1.
static int64_t xid_find(const struct table* table, uint32_t xid) {
  for (uint32_t i = xid_home(table, xid);; i = (i + 1) & table->xid_mask) {
    const struct xid_entry* entry = &table->xids[i];
    if (entry->slot_plus_one == 0) return -1;
    if (entry->xid == xid) return (int64_t)entry->slot_plus_one - 1;
  }
}

static void xid_insert(struct table* table, uint32_t xid, uint64_t slot) {
  uint32_t i = xid_home(table, xid);
  while (table->xids[i].slot_plus_one != 0) i = (i + 1) & table->xid_mask;
  table->xids[i].xid = xid;
  table->xids[i].slot_plus_one = (uint32_t)slot + 1;
}

// Deletes by shifting later entries of the same probe run back, so no tombstones build up.
static void xid_remove(struct table* table, uint32_t xid) {
  uint32_t mask = table->xid_mask;
  uint32_t hole = xid_home(table, xid);
  while (table->xids[hole].xid != xid || table->xids[hole].slot_plus_one == 0) {
    if (table->xids[hole].slot_plus_one == 0) return;
    hole = (hole + 1) & mask;
  }
  for (uint32_t i = (hole + 1) & mask; table->xids[i].slot_plus_one != 0; i = (i + 1) & mask) {
    uint32_t home = xid_home(table, table->xids[i].xid);
    // The entry at i may move into the hole only if its home is not in the cyclic range (hole, i].
    bool home_after_hole = ((i - home) & mask) < ((i - hole) & mask);
    if (!home_after_hole) {
      table->xids[hole] = table->xids[i];
      hole = i;
    }
  }
  table->xids[hole].slot_plus_one = 0;
}

// ---------------------------------------------------------------------------------------------
// Counters and packets

struct counters {
  uint64_t discover_sent;
  uint64_t offers;
  uint64_t request_sent;
  uint64_t acks;
  uint64_t naks;
  uint64_t unmatched;
  uint64_t late;  // replies for an exchange past its deadline, which counts as a timeout
  uint64_t wrong_address;  // ACKs whose yiaddr is not the offered address, which fail the exchange
  uint64_t offer_timeouts;
  uint64_t ack_timeouts;
  uint64_t send_errors;
  uint64_t no_server_id;  // OFFERs without option 54, which fail the exchange
  struct histogram discover_offer_us;
  struct histogram request_ack_us;
};

static const uint8_t PARAMETER_LIST[] = {1, 3, 6, 15, 51, 54};

// Writes the parts of a relayed BOOTREQUEST that do not change between packets.
static void fill_request_template(uint8_t* packet, uint8_t message_type, struct in_addr giaddr) {
  memset(packet, 0, PACKET_SIZE);
  packet[0] = BOOTREQUEST;
  packet[1] = 1;  // htype Ethernet
  packet[2] = 6;  // hlen
  packet[3] = 1;  // hops: one relay
  memcpy(packet + 24, &giaddr.s_addr, 4);
  uint32_t cookie = htonl(DHCP_COOKIE);
  memcpy(packet + DHCP_FIXED_SIZE, &cookie, 4);
  uint8_t* option = packet + DHCP_FIXED_SIZE + 4;
  *option++ = OPT_MESSAGE_TYPE;
  *option++ = 1;
  *option++ = message_type;
  *option++ = OPT_PARAMETER_LIST;
  *option++ = sizeof(PARAMETER_LIST);
  memcpy(option, PARAMETER_LIST, sizeof(PARAMETER_LIST));
  option += sizeof(PARAMETER_LIST);
  if (message_type == DHCPREQUEST) {
    *option++ = OPT_REQUESTED_ADDRESS;  // value written per packet at REQUEST_ADDRESS_OFFSET
    *option++ = 4;
    option += 4;
    *option++ = OPT_SERVER_ID;  // value written per packet at REQUEST_SERVER_ID_OFFSET
    *option++ = 4;
    option += 4;
  }
  *option = OPT_END;
}

#define REQUEST_ADDRESS_OFFSET (DHCP_FIXED_SIZE + 4 + 3 + 2 + sizeof(PARAMETER_LIST) + 2)
#define REQUEST_SERVER_ID_OFFSET (REQUEST_ADDRESS_OFFSET + 4 + 2)

static void write_xid_and_mac(uint8_t* packet, uint32_t xid, uint64_t mac) {
  uint32_t wire_xid = htonl(xid);
  memcpy(packet + 4, &wire_xid, 4);
  for (int i = 0; i < 6; i++) packet[28 + i] = (uint8_t)(mac >> (8 * (5 - i)));
}

struct reply_fields {
  uint8_t message_type;
  bool has_server_id;
  uint8_t server_id[4];
};

// Reads options 53 and 54 from a BOOTREPLY. Returns false if the options area is malformed or
// option 53 is missing. Option overload (52) is not followed, so both options must be in the
// options field.
static bool parse_reply_options(const uint8_t* packet, size_t length, struct reply_fields* fields) {
  memset(fields, 0, sizeof(*fields));
  size_t i = DHCP_FIXED_SIZE + 4;
  while (i < length) {
    uint8_t code = packet[i];
    if (code == OPT_END) break;
    if (code == OPT_PAD) {
      i++;
      continue;
    }
    if (i + 1 >= length) return false;
    size_t option_length = packet[i + 1];
    if (i + 2 + option_length > length) return false;
    const uint8_t* value = packet + i + 2;
    if (code == OPT_MESSAGE_TYPE && option_length == 1) fields->message_type = value[0];
    if (code == OPT_SERVER_ID && option_length == 4) {
      memcpy(fields->server_id, value, 4);
      fields->has_server_id = true;
    }
    i += 2 + option_length;
  }
  return fields->message_type != 0;
}

// ---------------------------------------------------------------------------------------------
// Generator state and the send/receive steps

struct generator {
  struct options options;
  int fd;
  struct sockaddr_in server;
  uint64_t timeout_ns;
  uint64_t exchanges;  // planned: rate * duration
  uint64_t clients;
  struct table table;
  struct counters counters;

  uint8_t (*discover_packets)[PACKET_SIZE];
  struct mmsghdr* discover_messages;
  struct iovec* discover_vectors;

  uint8_t (*request_packets)[PACKET_SIZE];
  struct mmsghdr* request_messages;
  struct iovec* request_vectors;
  uint64_t* request_slots;
  int request_count;

  uint8_t (*receive_packets)[RECV_BUFFER_SIZE];
  uint8_t (*receive_controls)[CONTROL_BUFFER_SIZE];
  struct mmsghdr* receive_messages;
  struct iovec* receive_vectors;

  bool want_writable;  // the last send hit EAGAIN: wait for POLLOUT as well
};

static void* allocate_or_exit(size_t count, size_t size) {
  void* memory = calloc(count, size);
  if (memory == NULL) {
    fprintf(stderr, "loadgen: out of memory\n");
    exit(1);
  }
  return memory;
}

static void prepare_messages(struct mmsghdr* messages, struct iovec* vectors, uint8_t* buffers,
                             size_t buffer_size, int count, struct sockaddr_in* destination) {
  for (int i = 0; i < count; i++) {
    vectors[i].iov_base = buffers + (size_t)i * buffer_size;
    vectors[i].iov_len = buffer_size;
    messages[i].msg_hdr.msg_iov = &vectors[i];
    messages[i].msg_hdr.msg_iovlen = 1;
    if (destination != NULL) {
      messages[i].msg_hdr.msg_name = destination;
      messages[i].msg_hdr.msg_namelen = sizeof(*destination);
    }
  }
}

static void generator_init(struct generator* generator) {
  const struct options* options = &generator->options;
  int batch = options->batch;

  generator->timeout_ns = (uint64_t)options->timeout_ms * 1000000ull;
  generator->exchanges = (uint64_t)llround((double)options->rate * options->duration_s);
  if (generator->exchanges == 0) generator->exchanges = 1;
  generator->clients = options->clients != 0 ? options->clients : generator->exchanges;

  // An exchange stays in the ring for at most two timeouts (OFFER, then ACK) after its DISCOVER.
  // The margin covers send bursts and the delay before the oldest end is swept.
  uint64_t in_flight = (uint64_t)ceil((double)options->rate * 2.0 * (double)options->timeout_ms /
                                      1000.0) + 8ull * (uint64_t)batch + 4096;
  if (in_flight > generator->exchanges + 8ull * (uint64_t)batch) {
    in_flight = generator->exchanges + 8ull * (uint64_t)batch;
  }
  uint64_t ring_slots = next_power_of_two(in_flight);
  if (ring_slots > MAX_TABLE_SLOTS) {
    fprintf(stderr, "loadgen: rate x timeout needs %" PRIu64 " exchange slots, above the limit of "
            "%u (lower --rate or --timeout-ms)\n", ring_slots, MAX_TABLE_SLOTS);
    exit(2);
  }
  table_init(&generator->table, ring_slots);

  generator->server.sin_family = AF_INET;
  generator->server.sin_port = htons((uint16_t)options->port);
  generator->server.sin_addr = options->server;

  generator->discover_packets = allocate_or_exit((size_t)batch, PACKET_SIZE);
  generator->discover_messages = allocate_or_exit((size_t)batch, sizeof(struct mmsghdr));
  generator->discover_vectors = allocate_or_exit((size_t)batch, sizeof(struct iovec));
  prepare_messages(generator->discover_messages, generator->discover_vectors,
                   &generator->discover_packets[0][0], PACKET_SIZE, batch, &generator->server);
  for (int i = 0; i < batch; i++) {
    fill_request_template(generator->discover_packets[i], DHCPDISCOVER, options->giaddr);
  }

  generator->request_packets = allocate_or_exit((size_t)batch, PACKET_SIZE);
  generator->request_messages = allocate_or_exit((size_t)batch, sizeof(struct mmsghdr));
  generator->request_vectors = allocate_or_exit((size_t)batch, sizeof(struct iovec));
  generator->request_slots = allocate_or_exit((size_t)batch, sizeof(uint64_t));
  prepare_messages(generator->request_messages, generator->request_vectors,
                   &generator->request_packets[0][0], PACKET_SIZE, batch, &generator->server);
  for (int i = 0; i < batch; i++) {
    fill_request_template(generator->request_packets[i], DHCPREQUEST, options->giaddr);
  }

  generator->receive_packets = allocate_or_exit((size_t)batch, RECV_BUFFER_SIZE);
  generator->receive_messages = allocate_or_exit((size_t)batch, sizeof(struct mmsghdr));
  generator->receive_vectors = allocate_or_exit((size_t)batch, sizeof(struct iovec));
  prepare_messages(generator->receive_messages, generator->receive_vectors,
                   &generator->receive_packets[0][0], RECV_BUFFER_SIZE, batch, NULL);
  generator->receive_controls = allocate_or_exit((size_t)batch, CONTROL_BUFFER_SIZE);
}

static void set_socket_buffer(int fd, int option, int force_option, int bytes) {
  // The FORCE variant ignores net.core.[rw]mem_max but needs CAP_NET_ADMIN.
  if (setsockopt(fd, SOL_SOCKET, force_option, &bytes, sizeof(bytes)) != 0) {
    setsockopt(fd, SOL_SOCKET, option, &bytes, sizeof(bytes));
  }
}

static int open_socket(const struct options* options) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    perror("loadgen: socket");
    exit(1);
  }
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  // Kernel receive timestamps keep the generator's own backlog out of the measured latency.
  setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
  set_socket_buffer(fd, SO_RCVBUF, SO_RCVBUFFORCE, SOCKET_BUFFER_BYTES);
  set_socket_buffer(fd, SO_SNDBUF, SO_SNDBUFFORCE, SOCKET_BUFFER_BYTES);

  struct sockaddr_in local = {.sin_family = AF_INET, .sin_port = htons((uint16_t)options->src_port),
                              .sin_addr = options->bind};
  if (bind(fd, (struct sockaddr*)&local, sizeof(local)) != 0) {
    char text[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &options->bind, text, sizeof(text));
    fprintf(stderr, "loadgen: cannot bind %s:%d: %s (port 67 needs root; the address must be "
            "configured on an interface)\n", text, options->src_port, strerror(errno));
    exit(1);
  }
  return fd;
}

static void finish_exchange(struct generator* generator, struct exchange* exchange) {
  xid_remove(&generator->table, exchange->xid);
  exchange->state = STATE_DONE;
  generator->table.active--;
}

static void count_timeout(struct generator* generator, struct exchange* exchange) {
  if (exchange->state == STATE_WAIT_OFFER) {
    generator->counters.offer_timeouts++;
  } else {
    generator->counters.ack_timeouts++;
  }
  finish_exchange(generator, exchange);
}

// Frees finished exchanges at the oldest end of the ring and fails those past their deadline.
// Stops at the first exchange still in time. A younger one that expired is caught later, or when
// its reply arrives, because replies are checked against the deadline too.
static void sweep_oldest(struct generator* generator, uint64_t now) {
  struct table* table = &generator->table;
  while (table->oldest < table->next) {
    struct exchange* exchange = &table->ring[table->oldest & table->ring_mask];
    if (exchange->state == STATE_WAIT_OFFER || exchange->state == STATE_WAIT_ACK) {
      if (now < exchange->deadline_ns) return;
      count_timeout(generator, exchange);
    }
    exchange->state = STATE_FREE;
    table->oldest++;
  }
}

// Fails every exchange still in flight, when the final wait ends.
static void expire_all(struct generator* generator) {
  struct table* table = &generator->table;
  for (; table->oldest < table->next; table->oldest++) {
    struct exchange* exchange = &table->ring[table->oldest & table->ring_mask];
    if (exchange->state == STATE_WAIT_OFFER || exchange->state == STATE_WAIT_ACK) {
      count_timeout(generator, exchange);
    }
    exchange->state = STATE_FREE;
  }
}

static bool send_would_block(int error) { return error == EAGAIN || error == EWOULDBLOCK; }

// Starts up to `count` new exchanges in one sendmmsg call. Returns how many exchanges were used
// up: sent, or failed on a send error. DISCOVERs that the socket did not take (EAGAIN) are rolled
// back, and the schedule retries them.
static uint64_t send_discovers(struct generator* generator, uint64_t count, uint64_t now) {
  struct table* table = &generator->table;
  uint64_t room = table->ring_mask + 1 - (table->next - table->oldest);
  if (count > room) count = room;
  if (count == 0) return 0;

  for (uint64_t i = 0; i < count; i++) {
    uint64_t sequence = table->next + i;
    struct exchange* exchange = &table->ring[sequence & table->ring_mask];
    uint32_t xid;
    do {
      xid = random_u32();
    } while (xid_find(table, xid) >= 0);
    exchange->xid = xid;
    exchange->mac = (generator->options.mac_base + sequence % generator->clients) & 0xffffffffffffull;
    exchange->sent_ns = now;
    exchange->deadline_ns = now + generator->timeout_ns;
    exchange->state = STATE_WAIT_OFFER;
    xid_insert(table, xid, sequence & table->ring_mask);
    write_xid_and_mac(generator->discover_packets[i], xid, exchange->mac);
  }

  int sent = sendmmsg(generator->fd, generator->discover_messages, (unsigned)count, 0);
  uint64_t accepted = sent > 0 ? (uint64_t)sent : 0;
  uint64_t consumed = accepted;
  if (sent < 0) {
    if (send_would_block(errno)) {
      generator->want_writable = true;
    } else {
      // A hard error on the first datagram uses up that exchange, which fails, so a lasting
      // error cannot stall the run.
      generator->counters.send_errors++;
      consumed = 1;
    }
  } else if (accepted < count) {
    generator->want_writable = true;
  }

  for (uint64_t i = consumed; i < count; i++) {
    xid_remove(table, table->ring[(table->next + i) & table->ring_mask].xid);
    table->ring[(table->next + i) & table->ring_mask].state = STATE_FREE;
  }
  if (consumed > accepted) {
    struct exchange* exchange = &table->ring[(table->next + accepted) & table->ring_mask];
    xid_remove(table, exchange->xid);
    exchange->state = STATE_DONE;
  }
  table->next += consumed;
  table->active += accepted;
  generator->counters.discover_sent += accepted;
  return consumed;
}

// Sends the REQUESTs queued while a receive batch was processed. A REQUEST the socket does not
// take after a short wait fails its exchange.
static void flush_requests(struct generator* generator) {
  int offset = 0;
  int attempts = 0;
  while (offset < generator->request_count) {
    int count = generator->request_count - offset;
    int sent = sendmmsg(generator->fd, generator->request_messages + offset, (unsigned)count, 0);
    if (sent > 0) {
      generator->counters.request_sent += (uint64_t)sent;
      offset += sent;
      continue;
    }
    if (sent < 0 && send_would_block(errno) && attempts < 10) {
      struct pollfd writable = {.fd = generator->fd, .events = POLLOUT};
      poll(&writable, 1, 1);
      attempts++;
      continue;
    }
    generator->counters.send_errors++;
    struct exchange* exchange = &generator->table.ring[generator->request_slots[offset]];
    if (exchange->state == STATE_WAIT_ACK) finish_exchange(generator, exchange);
    offset++;
  }
  generator->request_count = 0;
}

static void queue_request(struct generator* generator, uint64_t slot, const uint8_t* yiaddr,
                          const uint8_t* server_id, uint64_t now) {
  struct exchange* exchange = &generator->table.ring[slot];
  int index = generator->request_count++;
  uint8_t* packet = generator->request_packets[index];
  write_xid_and_mac(packet, exchange->xid, exchange->mac);
  memcpy(packet + REQUEST_ADDRESS_OFFSET, yiaddr, 4);
  memcpy(exchange->offered, yiaddr, 4);
  memcpy(packet + REQUEST_SERVER_ID_OFFSET, server_id, 4);
  generator->request_slots[index] = slot;
  exchange->state = STATE_WAIT_ACK;
  exchange->sent_ns = now;
  exchange->deadline_ns = now + generator->timeout_ns;
}

static bool chaddr_matches(const uint8_t* packet, uint64_t mac) {
  if (packet[1] != 1 || packet[2] != 6) return false;
  for (int i = 0; i < 6; i++) {
    if (packet[28 + i] != (uint8_t)(mac >> (8 * (5 - i)))) return false;
  }
  return true;
}

// `received` is when the kernel received the reply and `now` the current time, both monotonic.
static void handle_reply(struct generator* generator, const uint8_t* packet, size_t length,
                         uint64_t received, uint64_t now) {
  struct counters* counters = &generator->counters;
  uint32_t cookie;
  if (length < DHCP_FIXED_SIZE + 4 || packet[0] != BOOTREPLY) {
    counters->unmatched++;
    return;
  }
  memcpy(&cookie, packet + DHCP_FIXED_SIZE, 4);
  struct reply_fields fields;
  if (ntohl(cookie) != DHCP_COOKIE || !parse_reply_options(packet, length, &fields)) {
    counters->unmatched++;
    return;
  }

  uint32_t xid;
  memcpy(&xid, packet + 4, 4);
  int64_t slot = xid_find(&generator->table, ntohl(xid));
  if (slot < 0) {
    counters->unmatched++;
    return;
  }
  struct exchange* exchange = &generator->table.ring[slot];
  if (!chaddr_matches(packet, exchange->mac)) {
    counters->unmatched++;
    return;
  }

  bool offer = exchange->state == STATE_WAIT_OFFER && fields.message_type == DHCPOFFER;
  bool ack = exchange->state == STATE_WAIT_ACK && fields.message_type == DHCPACK;
  bool nak = exchange->state == STATE_WAIT_ACK && fields.message_type == DHCPNAK;
  if (!offer && !ack && !nak) {
    counters->unmatched++;  // a duplicate, or a message type this phase does not expect
    return;
  }
  if (received >= exchange->deadline_ns) {
    counters->late++;
    count_timeout(generator, exchange);
    return;
  }

  uint64_t latency_us = received > exchange->sent_ns ? (received - exchange->sent_ns) / 1000 : 0;
  if (offer) {
    counters->offers++;
    histogram_record(&counters->discover_offer_us, latency_us);
    if (!fields.has_server_id) {
      counters->no_server_id++;  // an OFFER without a server id cannot be requested
      finish_exchange(generator, exchange);
      return;
    }
    queue_request(generator, (uint64_t)slot, packet + 16, fields.server_id, now);
  } else if (ack) {
    if (memcmp(packet + 16, exchange->offered, 4) != 0) {
      counters->wrong_address++;
      finish_exchange(generator, exchange);
      return;
    }
    counters->acks++;
    histogram_record(&counters->request_ack_us, latency_us);
    finish_exchange(generator, exchange);
  } else {
    counters->naks++;
    finish_exchange(generator, exchange);
  }
}

// Drains the socket in up to `max_calls` recvmmsg calls. Returns the number of datagrams read.
static int receive_replies(struct generator* generator, int max_calls) {
  int total = 0;
  for (int call = 0; call < max_calls; call++) {
    for (int i = 0; i < generator->options.batch; i++) {
      struct msghdr* header = &generator->receive_messages[i].msg_hdr;
      header->msg_control = generator->receive_controls[i];
      header->msg_controllen = CONTROL_BUFFER_SIZE;
      header->msg_flags = 0;
    }
    int count = recvmmsg(generator->fd, generator->receive_messages,
                         (unsigned)generator->options.batch, MSG_DONTWAIT, NULL);
    if (count <= 0) break;

    // Converts the kernel's CLOCK_REALTIME stamps to CLOCK_MONOTONIC with an offset taken now,
    // so clock slewing during a long run does not add up.
    uint64_t now = monotonic_ns();
    uint64_t realtime_offset = realtime_ns() - now;
    for (int i = 0; i < count; i++) {
      uint64_t received = now;
      struct msghdr* header = &generator->receive_messages[i].msg_hdr;
      for (struct cmsghdr* control = CMSG_FIRSTHDR(header); control != NULL;
           control = CMSG_NXTHDR(header, control)) {
        if (control->cmsg_level == SOL_SOCKET && control->cmsg_type == SCM_TIMESTAMPNS) {
          struct timespec stamp;
          memcpy(&stamp, CMSG_DATA(control), sizeof(stamp));
          uint64_t stamp_ns = (uint64_t)stamp.tv_sec * 1000000000ull + (uint64_t)stamp.tv_nsec;
          if (stamp_ns > realtime_offset && stamp_ns - realtime_offset < now) {
            received = stamp_ns - realtime_offset;
          }
        }
      }
      handle_reply(generator, generator->receive_packets[i], generator->receive_messages[i].msg_len,
                   received, now);
    }
    flush_requests(generator);
    total += count;
    if (count < generator->options.batch) break;
  }
  return total;
}

// ---------------------------------------------------------------------------------------------
// Main loop and report

static volatile sig_atomic_t stop_requested = 0;

// The first SIGINT or SIGTERM stops sending and starts the final wait for replies. The second
// ends that wait too.
static void on_signal(int signal_number) {
  (void)signal_number;
  if (stop_requested < 2) stop_requested = stop_requested + 1;
}

struct run_times {
  uint64_t start_ns;
  uint64_t last_discover_ns;
  uint64_t end_ns;
  bool sending_cut_short;  // the schedule fell too far behind, or a signal arrived
};

static void wait_for_socket(struct generator* generator, uint64_t wait_ns) {
  if (wait_ns > 1000000) wait_ns = 1000000;  // wake at least every millisecond for timeouts
  struct timespec timeout = {.tv_sec = 0, .tv_nsec = (long)wait_ns};
  struct pollfd events = {.fd = generator->fd, .events = POLLIN};
  if (generator->want_writable) events.events |= POLLOUT;
  ppoll(&events, 1, &timeout, NULL);
  generator->want_writable = false;
}

static void run(struct generator* generator, struct run_times* times) {
  const struct options* options = &generator->options;
  struct table* table = &generator->table;
  uint64_t duration_ns = (uint64_t)(options->duration_s * 1e9);
  // Sending stops at 1.5 x duration + 1 s even if the schedule is behind, so the run stays bounded.
  uint64_t send_limit_ns = duration_ns + duration_ns / 2 + 1000000000ull;
  uint64_t final_wait_ns = 2 * generator->timeout_ns + 10000000ull;
  uint64_t sending_end_ns = 0;
  bool sending = true;

  times->start_ns = monotonic_ns();
  times->last_discover_ns = times->start_ns;
  for (;;) {
    uint64_t now = monotonic_ns();
    uint64_t elapsed = now - times->start_ns;
    bool busy = false;
    bool blocked = false;  // the ring is full or the socket did not take a DISCOVER

    if (sending) {
      // Exchange k is due at start + k / rate, so the first goes out immediately.
      uint64_t due = (uint64_t)((double)elapsed * (double)options->rate / 1e9) + 1;
      if (due > generator->exchanges) due = generator->exchanges;
      for (int burst = 0; burst < 4 && table->next < due; burst++) {
        uint64_t count = due - table->next;
        if (count > (uint64_t)options->batch) count = (uint64_t)options->batch;
        uint64_t started = send_discovers(generator, count, now);
        if (started == 0) {
          sweep_oldest(generator, now);  // the ring may be full of finished exchanges
          blocked = true;
          break;
        }
        times->last_discover_ns = now;
        busy = true;
      }
      if (table->next >= generator->exchanges || elapsed > send_limit_ns || stop_requested) {
        sending = false;
        times->sending_cut_short = table->next < generator->exchanges;
        sending_end_ns = now;
      }
    }

    if (receive_replies(generator, 8) > 0) busy = true;
    now = monotonic_ns();
    sweep_oldest(generator, now);

    if (!sending && (table->active == 0 || now - sending_end_ns > final_wait_ns)) break;
    if (!sending && stop_requested >= 2) break;

    if (!busy) {
      uint64_t wait_ns = 1000000;
      if (sending) {
        uint64_t next_due_ns =
            times->start_ns + (uint64_t)((double)table->next * 1e9 / (double)options->rate);
        wait_ns = next_due_ns > now ? next_due_ns - now : 0;
        if (blocked && wait_ns < 100000) wait_ns = 100000;
      }
      if (wait_ns > 0) wait_for_socket(generator, wait_ns);
    }
  }
  expire_all(generator);
  times->end_ns = monotonic_ns();
}

static double cpu_seconds(void) {
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return (double)usage.ru_utime.tv_sec + (double)usage.ru_utime.tv_usec / 1e6 +
         (double)usage.ru_stime.tv_sec + (double)usage.ru_stime.tv_usec / 1e6;
}

static void report(const struct generator* generator, const struct run_times* times) {
  const struct options* options = &generator->options;
  const struct counters* counters = &generator->counters;
  // The active send time ends one schedule slot after the last DISCOVER; it equals the requested
  // duration when the generator keeps up.
  double send_s = (double)(times->last_discover_ns - times->start_ns) / 1e9 + 1.0 / (double)options->rate;
  uint64_t failed = generator->exchanges - counters->acks;
  double failed_pct = 100.0 * (double)failed / (double)generator->exchanges;
  double leases_per_s = (double)counters->acks / send_s;
  double cpu_s = cpu_seconds();
  uint64_t unsent = generator->exchanges - generator->table.next;

  if (options->json) {
    printf("{\"offered_rate\":%ld,\"duration_s\":%g,\"exchanges\":%" PRIu64
           ",\"discover_sent\":%" PRIu64 ",\"offers\":%" PRIu64 ",\"request_sent\":%" PRIu64
           ",\"acks\":%" PRIu64 ",\"naks\":%" PRIu64 ",\"failed\":%" PRIu64
           ",\"failed_pct\":%.3f,\"leases_per_s\":%.1f"
           ",\"do_p50_us\":%" PRIu64 ",\"do_p99_us\":%" PRIu64 ",\"do_max_us\":%" PRIu64
           ",\"ra_p50_us\":%" PRIu64 ",\"ra_p99_us\":%" PRIu64 ",\"ra_max_us\":%" PRIu64
           ",\"send_errors\":%" PRIu64 ",\"cpu_s\":%.3f,\"unmatched\":%" PRIu64
           ",\"late\":%" PRIu64 ",\"offer_timeouts\":%" PRIu64 ",\"ack_timeouts\":%" PRIu64
           ",\"unsent\":%" PRIu64 ",\"wrong_address\":%" PRIu64 ",\"no_server_id\":%" PRIu64
           ",\"do_avg_us\":%" PRIu64 ",\"ra_avg_us\":%" PRIu64 ",\"send_duration_s\":%.3f}\n",
           options->rate, options->duration_s, generator->exchanges, counters->discover_sent,
           counters->offers, counters->request_sent, counters->acks, counters->naks, failed,
           failed_pct, leases_per_s, histogram_percentile(&counters->discover_offer_us, 50),
           histogram_percentile(&counters->discover_offer_us, 99), counters->discover_offer_us.max,
           histogram_percentile(&counters->request_ack_us, 50),
           histogram_percentile(&counters->request_ack_us, 99), counters->request_ack_us.max,
           counters->send_errors, cpu_s, counters->unmatched, counters->late,
           counters->offer_timeouts, counters->ack_timeouts, unsent, counters->wrong_address,
           counters->no_server_id, histogram_mean(&counters->discover_offer_us),
           histogram_mean(&counters->request_ack_us), send_s);
    return;
  }

  printf("offered    %ld exchanges/s for %g s: %" PRIu64 " exchanges, %" PRIu64 " clients\n",
         options->rate, options->duration_s, generator->exchanges, generator->clients);
  printf("sent       %" PRIu64 " DISCOVER, %" PRIu64 " REQUEST over %.3f s%s\n",
         counters->discover_sent, counters->request_sent, send_s,
         times->sending_cut_short ? " (schedule cut short)" : "");
  printf("received   %" PRIu64 " OFFER, %" PRIu64 " ACK, %" PRIu64 " NAK, %" PRIu64
         " unmatched, %" PRIu64 " late\n", counters->offers, counters->acks, counters->naks,
         counters->unmatched, counters->late);
  printf("failed     %" PRIu64 " (%.3f%%): %" PRIu64 " without OFFER, %" PRIu64
         " without ACK, %" PRIu64 " NAK, %" PRIu64 " ACK for another address, %" PRIu64
         " OFFER without server id, %" PRIu64 " unsent, %" PRIu64 " send errors\n", failed,
         failed_pct, counters->offer_timeouts, counters->ack_timeouts, counters->naks,
         counters->wrong_address, counters->no_server_id, unsent, counters->send_errors);
  printf("leases/s   %.1f\n", leases_per_s);
  printf("latency    DISCOVER->OFFER avg %" PRIu64 " us, p50 %" PRIu64 " us, p99 %" PRIu64
         " us, max %" PRIu64 " us\n", histogram_mean(&counters->discover_offer_us),
         histogram_percentile(&counters->discover_offer_us, 50),
         histogram_percentile(&counters->discover_offer_us, 99), counters->discover_offer_us.max);
  printf("           REQUEST->ACK    avg %" PRIu64 " us, p50 %" PRIu64 " us, p99 %" PRIu64
         " us, max %" PRIu64 " us\n", histogram_mean(&counters->request_ack_us),
         histogram_percentile(&counters->request_ack_us, 50),
         histogram_percentile(&counters->request_ack_us, 99), counters->request_ack_us.max);
  printf("cpu        %.3f s (user + system), run %.3f s\n", cpu_s,
         (double)(times->end_ns - times->start_ns) / 1e9);
}

int main(int argc, char** argv) {
  static struct generator generator;
  parse_options(argc, argv, &generator.options);

  if (getrandom(&random_state, sizeof(random_state), 0) != (ssize_t)sizeof(random_state)) {
    random_state = monotonic_ns() ^ ((uint64_t)getpid() << 32);
  }
  random_state |= 1;  // xorshift must not start at zero

  generator_init(&generator);
  generator.fd = open_socket(&generator.options);
  prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);  // 1 us, for pacing at low rates

  struct sigaction action;
  memset(&action, 0, sizeof(action));
  action.sa_handler = on_signal;
  sigaction(SIGINT, &action, NULL);
  sigaction(SIGTERM, &action, NULL);

  struct run_times times = {0};
  run(&generator, &times);
  report(&generator, &times);
  close(generator.fd);
  return 0;
}
