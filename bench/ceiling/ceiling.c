// ceiling: a minimal stateless DHCPv4 responder, to measure the most a server could reach on a
// machine. It keeps no leases: a relayed DISCOVER gets a canned OFFER and a relayed REQUEST a
// canned ACK, with yiaddr derived from the client's MAC within 198.19.0.0/16. Replies go to
// giaddr:67, as a server replies to a relay agent. Malformed datagrams, other message types and
// requests whose giaddr is 0 or outside 198.18.0.0/15 and 127.0.0.0/8 are dropped. One thread,
// one UDP socket, recvmmsg/sendmmsg in batches.
//
// usage: ceiling --bind ADDR [--port 67] [--duration S] [--json-stats FILE]
// Runs until SIGTERM or SIGINT, or for S seconds (default 3600), then prints {"received":..,"replied":..,
// "cpu_s":..} (also written to FILE).

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
#define MAX_DURATION_S 86400.0
#define DEFAULT_DURATION_S 3600.0  // a forgotten responder stops after an hour
#define PACKET_SIZE 300
#define RECV_BUFFER_SIZE 1536
#define SOCKET_BUFFER_BYTES (16 * 1024 * 1024)

#define BOOTREQUEST 1
#define BOOTREPLY 2
#define DHCP_FIXED_SIZE 236
#define DHCP_COOKIE 0x63825363u
#define DHCPDISCOVER 1
#define DHCPOFFER 2
#define DHCPREQUEST 3
#define DHCPACK 5
#define OPT_PAD 0
#define OPT_SUBNET_MASK 1
#define OPT_ROUTER 3
#define OPT_LEASE_TIME 51
#define OPT_MESSAGE_TYPE 53
#define OPT_SERVER_ID 54
#define OPT_END 255
#define LEASE_TIME_S 7200
#define ROUTER_ADDRESS 0xc6130001u  // 198.19.0.1, sent as option 3

static const char USAGE[] =
    "usage: ceiling --bind ADDR [--port 67] [--duration S] [--json-stats FILE]\n"
    "\n"
    "Answers relayed DHCPv4 DISCOVERs with an OFFER and REQUESTs with an ACK, without state, on\n"
    "ADDR:port (ADDR in 198.18.0.0/15 or 127.0.0.0/8). Runs until SIGTERM or SIGINT, or for S\n"
    "seconds (default 3600, at most 86400), then prints received and replied datagrams and its CPU\n"
    "seconds as JSON, and writes the same line to FILE if given.\n";

struct options {
  struct in_addr bind;
  int port;
  double duration_s;
  const char* stats_path;
};

struct counters {
  uint64_t received;
  uint64_t replied;
  uint64_t dropped;
  uint64_t send_errors;
};

static volatile sig_atomic_t stop_requested = 0;

static void on_signal(int signal_number) {
  (void)signal_number;
  stop_requested = 1;
}

static void fail_usage(const char* message, const char* value) {
  if (value != NULL) {
    fprintf(stderr, "ceiling: %s: '%s'\n\n%s", message, value, USAGE);
  } else {
    fprintf(stderr, "ceiling: %s\n\n%s", message, USAGE);
  }
  exit(2);
}

// Accepts only the benchmark range 198.18.0.0/15 and loopback, so replies stay inside a test setup.
static bool address_allowed(uint32_t network_order) {
  uint32_t host = ntohl(network_order);
  return (host & 0xfffe0000u) == 0xc6120000u || (host >> 24) == 127;
}

static void parse_options(int argc, char** argv, struct options* options) {
  static const struct option LONG_OPTIONS[] = {
      {"bind", required_argument, NULL, 'b'},       {"port", required_argument, NULL, 'p'},
      {"duration", required_argument, NULL, 'd'},   {"json-stats", required_argument, NULL, 'j'},
      {"help", no_argument, NULL, 'h'},             {NULL, 0, NULL, 0}};
  bool bind_set = false;
  memset(options, 0, sizeof(*options));
  options->port = 67;
  options->duration_s = DEFAULT_DURATION_S;

  int option;
  while ((option = getopt_long(argc, argv, "", LONG_OPTIONS, NULL)) != -1) {
    char* end = NULL;
    switch (option) {
      case 'b':
        if (inet_pton(AF_INET, optarg, &options->bind) != 1) fail_usage("--bind is invalid", optarg);
        if (!address_allowed(options->bind.s_addr)) {
          fail_usage("--bind is outside 198.18.0.0/15 and 127.0.0.0/8", optarg);
        }
        bind_set = true;
        break;
      case 'p': {
        long port = strtol(optarg, &end, 10);
        if (end == optarg || *end != '\0' || port < 1 || port > 65535) {
          fail_usage("--port is invalid (expected 1 to 65535)", optarg);
        }
        options->port = (int)port;
        break;
      }
      case 'd':
        options->duration_s = strtod(optarg, &end);
        if (end == optarg || *end != '\0' || !(options->duration_s > 0.0) ||
            options->duration_s > MAX_DURATION_S) {
          fail_usage("--duration is invalid (expected seconds above 0, at most 86400)", optarg);
        }
        break;
      case 'j': options->stats_path = optarg; break;
      case 'h': fputs(USAGE, stdout); exit(0);
      default: fail_usage("unknown option", NULL);
    }
  }
  if (optind < argc) fail_usage("unexpected argument", argv[optind]);
  if (!bind_set) fail_usage("--bind is missing", NULL);
}

static uint64_t monotonic_ns(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
}

static double cpu_seconds(void) {
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return (double)usage.ru_utime.tv_sec + (double)usage.ru_utime.tv_usec / 1e6 +
         (double)usage.ru_stime.tv_sec + (double)usage.ru_stime.tv_usec / 1e6;
}

// Returns the value of option 53, or 0 if the options area is malformed or has no option 53.
static uint8_t find_message_type(const uint8_t* packet, size_t length) {
  uint8_t message_type = 0;
  size_t i = DHCP_FIXED_SIZE + 4;
  while (i < length) {
    uint8_t code = packet[i];
    if (code == OPT_END) return message_type;
    if (code == OPT_PAD) {
      i++;
      continue;
    }
    if (i + 1 >= length) return 0;
    size_t option_length = packet[i + 1];
    if (i + 2 + option_length > length) return 0;
    if (code == OPT_MESSAGE_TYPE) {
      if (option_length != 1) return 0;
      message_type = packet[i + 2];
    }
    i += 2 + option_length;
  }
  return 0;  // no END option
}

// Writes the option part that is the same in every reply: everything after option 53.
static uint8_t* write_fixed_options(uint8_t* option, struct in_addr server_id) {
  uint32_t value;
  *option++ = OPT_SERVER_ID;
  *option++ = 4;
  memcpy(option, &server_id.s_addr, 4);
  option += 4;
  *option++ = OPT_LEASE_TIME;
  *option++ = 4;
  value = htonl(LEASE_TIME_S);
  memcpy(option, &value, 4);
  option += 4;
  *option++ = OPT_SUBNET_MASK;
  *option++ = 4;
  value = htonl(0xffff0000u);
  memcpy(option, &value, 4);
  option += 4;
  *option++ = OPT_ROUTER;
  *option++ = 4;
  value = htonl(ROUTER_ADDRESS);
  memcpy(option, &value, 4);
  option += 4;
  *option++ = OPT_END;
  return option;
}

// Builds the reply to one datagram into `reply` (PACKET_SIZE bytes) and the relay address into
// `destination`. Returns false if the datagram is to be dropped.
static bool build_reply(const uint8_t* request, size_t length, struct in_addr server_id,
                        uint8_t* reply, struct sockaddr_in* destination) {
  if (length < DHCP_FIXED_SIZE + 4 || request[0] != BOOTREQUEST) return false;
  uint8_t hlen = request[2];
  if (hlen == 0 || hlen > 16) return false;
  uint32_t cookie;
  memcpy(&cookie, request + DHCP_FIXED_SIZE, 4);
  if (ntohl(cookie) != DHCP_COOKIE) return false;
  uint32_t giaddr;
  memcpy(&giaddr, request + 24, 4);
  if (giaddr == 0 || !address_allowed(giaddr)) return false;

  uint8_t reply_type;
  switch (find_message_type(request, length)) {
    case DHCPDISCOVER: reply_type = DHCPOFFER; break;
    case DHCPREQUEST: reply_type = DHCPACK; break;
    default: return false;
  }

  memset(reply, 0, PACKET_SIZE);
  reply[0] = BOOTREPLY;
  memcpy(reply + 1, request + 1, 3);    // htype, hlen, hops
  memcpy(reply + 4, request + 4, 4);    // xid
  memcpy(reply + 10, request + 10, 2);  // flags
  memcpy(reply + 24, request + 24, 4);  // giaddr
  memcpy(reply + 28, request + 28, 16); // chaddr

  // yiaddr 198.19.x.y from the last two chaddr bytes; y avoids 0 and 255, so the address is
  // never the subnet's network or broadcast address.
  uint8_t x = hlen >= 2 ? request[28 + hlen - 2] : 0;
  uint8_t y = request[28 + hlen - 1];
  if (y == 0) y = 1;
  if (y == 255) y = 254;
  reply[16] = 198;
  reply[17] = 19;
  reply[18] = x;
  reply[19] = y;

  memcpy(reply + DHCP_FIXED_SIZE, request + DHCP_FIXED_SIZE, 4);  // magic cookie
  uint8_t* option = reply + DHCP_FIXED_SIZE + 4;
  *option++ = OPT_MESSAGE_TYPE;
  *option++ = 1;
  *option++ = reply_type;
  write_fixed_options(option, server_id);

  destination->sin_family = AF_INET;
  destination->sin_port = htons(67);
  destination->sin_addr.s_addr = giaddr;
  return true;
}

static int open_socket(const struct options* options) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    perror("ceiling: socket");
    exit(1);
  }
  int one = 1;
  int bytes = SOCKET_BUFFER_BYTES;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  // The FORCE variants ignore net.core.[rw]mem_max but need CAP_NET_ADMIN.
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof(bytes)) != 0) {
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes));
  }
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &bytes, sizeof(bytes)) != 0) {
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof(bytes));
  }
  struct sockaddr_in local = {.sin_family = AF_INET, .sin_port = htons((uint16_t)options->port),
                              .sin_addr = options->bind};
  if (bind(fd, (struct sockaddr*)&local, sizeof(local)) != 0) {
    char text[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &options->bind, text, sizeof(text));
    fprintf(stderr, "ceiling: cannot bind %s:%d: %s (port 67 needs root; the address must be "
            "configured on an interface)\n", text, options->port, strerror(errno));
    exit(1);
  }
  return fd;
}

// Sends `count` prepared replies. A reply the socket does not take after ten 1 ms waits is
// dropped and counted as a send error.
static void send_replies(int fd, struct mmsghdr* messages, int count, struct counters* counters) {
  int offset = 0;
  int attempts = 0;
  while (offset < count) {
    int sent = sendmmsg(fd, messages + offset, (unsigned)(count - offset), 0);
    if (sent > 0) {
      counters->replied += (uint64_t)sent;
      offset += sent;
      continue;
    }
    if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && attempts < 10) {
      struct pollfd writable = {.fd = fd, .events = POLLOUT};
      poll(&writable, 1, 1);
      attempts++;
      continue;
    }
    counters->send_errors++;
    offset++;
  }
}

static void serve(int fd, const struct options* options, struct counters* counters) {
  static uint8_t requests[BATCH][RECV_BUFFER_SIZE];
  static uint8_t replies[BATCH][PACKET_SIZE];
  static struct sockaddr_in destinations[BATCH];
  struct mmsghdr receive_messages[BATCH];
  struct iovec receive_vectors[BATCH];
  struct mmsghdr send_messages[BATCH];
  struct iovec send_vectors[BATCH];

  memset(receive_messages, 0, sizeof(receive_messages));
  memset(send_messages, 0, sizeof(send_messages));
  for (int i = 0; i < BATCH; i++) {
    receive_vectors[i].iov_base = requests[i];
    receive_vectors[i].iov_len = RECV_BUFFER_SIZE;
    receive_messages[i].msg_hdr.msg_iov = &receive_vectors[i];
    receive_messages[i].msg_hdr.msg_iovlen = 1;
  }

  uint64_t end_ns = monotonic_ns() + (uint64_t)(options->duration_s * 1e9);
  while (!stop_requested && monotonic_ns() < end_ns) {
    int count = recvmmsg(fd, receive_messages, BATCH, MSG_DONTWAIT, NULL);
    if (count <= 0) {
      struct pollfd readable = {.fd = fd, .events = POLLIN};
      poll(&readable, 1, 100);  // wakes for signals and the end of --duration
      continue;
    }
    counters->received += (uint64_t)count;

    int reply_count = 0;
    for (int i = 0; i < count; i++) {
      if (!build_reply(requests[i], receive_messages[i].msg_len, options->bind,
                       replies[reply_count], &destinations[reply_count])) {
        counters->dropped++;
        continue;
      }
      send_vectors[reply_count].iov_base = replies[reply_count];
      send_vectors[reply_count].iov_len = PACKET_SIZE;
      send_messages[reply_count].msg_hdr.msg_iov = &send_vectors[reply_count];
      send_messages[reply_count].msg_hdr.msg_iovlen = 1;
      send_messages[reply_count].msg_hdr.msg_name = &destinations[reply_count];
      send_messages[reply_count].msg_hdr.msg_namelen = sizeof(destinations[reply_count]);
      reply_count++;
    }
    send_replies(fd, send_messages, reply_count, counters);
  }
}

int main(int argc, char** argv) {
  struct options options;
  parse_options(argc, argv, &options);

  struct sigaction action;
  memset(&action, 0, sizeof(action));
  action.sa_handler = on_signal;  // no SA_RESTART, so poll returns at once with EINTR
  sigaction(SIGINT, &action, NULL);
  sigaction(SIGTERM, &action, NULL);

  int fd = open_socket(&options);
  struct counters counters = {0};
  serve(fd, &options, &counters);
  close(fd);

  char line[256];
  snprintf(line, sizeof(line),
           "{\"received\":%llu,\"replied\":%llu,\"cpu_s\":%.3f,\"dropped\":%llu,"
           "\"send_errors\":%llu}\n",
           (unsigned long long)counters.received, (unsigned long long)counters.replied,
           cpu_seconds(), (unsigned long long)counters.dropped,
           (unsigned long long)counters.send_errors);
  fputs(line, stdout);
  fflush(stdout);
  if (options.stats_path != NULL) {
    FILE* file = fopen(options.stats_path, "w");
    if (file == NULL || fputs(line, file) < 0 || fclose(file) != 0) {
      fprintf(stderr, "ceiling: cannot write --json-stats file '%s': %s\n", options.stats_path,
              strerror(errno));
      return 1;
    }
  }
  return 0;
}
