// Opening, closing and counters of AF_PACKET sockets (see raw.h).
//
// rawOpen creates a SOCK_RAW packet socket with protocol 0, so nothing is queued before the
// filter is in place. It then attaches the classic BPF filter below, sets up a TPACKET_V3 receive
// ring and maps it. Only then does it bind to the interface for ETH_P_ALL. ETH_P_ALL (not ETH_P_IP) is
// needed to see 802.1Q tags: the kernel removes the tag of a received frame before it hands the
// frame to packet sockets, and for ETH_P_IP sockets it has also discarded the tag by then. The
// filter therefore sees untagged frames, and the tag arrives in tp_vlan_tci.
//
// Filter (offsets from the start of the Ethernet header):
//
//   packet type     drop PACKET_OUTGOING (our own and other sockets' sends on ETH_P_ALL) and
//                   PACKET_OTHERHOST (unicast to another MAC, seen in promiscuous mode)
//   12  ethertype   0x0800 (IPv4)
//   23  protocol    17 (UDP)
//   20  frag field  fragment offset 0; later fragments have no UDP header, so they are dropped
//                   here and not counted. A first fragment (MF set) passes and is counted.
//   14+IHL*4+2      UDP destination port 67
//
// Everything else the filter passes is checked again in raw_rx.cc, which counts what it drops.

#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "args.h"
#include "raw.h"

namespace nestor {

namespace {

// Largest number of sockets open at once in one environment.
constexpr size_t kMaxHandles = 256;
constexpr uint32_t kMaxBlockCount = 4096;
constexpr uint32_t kMinFrameBytes = 256;
constexpr uint32_t kMaxBlockTimeoutMs = 1000;
// Bytes of a frame the filter keeps; the ring frame size limits it further.
constexpr uint32_t kFilterSnapBytes = 0x40000;

constexpr uint8_t kDrop = 13;  // index of the drop instruction in kFilter

// Jump offsets count instructions to skip, so "goto drop" from instruction i is kDrop - i - 1.
const struct sock_filter kFilter[] = {
  /* 0 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, static_cast<uint32_t>(SKF_AD_OFF + SKF_AD_PKTTYPE)),
  /* 1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PACKET_OUTGOING, kDrop - 2, 0),
  /* 2 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PACKET_OTHERHOST, kDrop - 3, 0),
  /* 3 */ BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),
  /* 4 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IP, 0, kDrop - 5),
  /* 5 */ BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 23),
  /* 6 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_UDP, 0, kDrop - 7),
  /* 7 */ BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 20),
  /* 8 */ BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x1fff, kDrop - 9, 0),
  /* 9 */ BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 14),
  /* 10 */ BPF_STMT(BPF_LD | BPF_H | BPF_IND, 14 + 2),
  /* 11 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 67, 0, kDrop - 12),
  /* 12 */ BPF_STMT(BPF_RET | BPF_K, kFilterSnapBytes),
  /* 13 */ BPF_STMT(BPF_RET | BPF_K, 0),
};
static_assert(sizeof(kFilter) / sizeof(kFilter[0]) == kDrop + 1, "kDrop must index the last instruction");

struct RingSize {
  uint32_t block_bytes;
  uint32_t block_count;
  uint32_t frame_bytes;
  uint32_t timeout_ms;
};

bool IsValidRingSize(const RingSize& size) {
  const long page = sysconf(_SC_PAGESIZE);  // NOLINT(runtime/int): sysconf returns long
  if (page <= 0 || size.block_bytes == 0 || size.block_bytes % page != 0) return false;
  if (size.block_count == 0 || size.block_count > kMaxBlockCount) return false;
  if (size.frame_bytes < kMinFrameBytes || size.frame_bytes % TPACKET_ALIGNMENT != 0) return false;
  if (size.frame_bytes > size.block_bytes) return false;
  if (size.timeout_ms == 0 || size.timeout_ms > kMaxBlockTimeoutMs) return false;
  return static_cast<uint64_t>(size.block_bytes) * size.block_count <= (1ULL << 30);
}

// Reads index, hardware address, flags and MTU of the interface; returns 0 or -errno.
int ReadInterface(int fd, const std::string& ifname, RawSocket* socket) {
  struct ifreq request;
  std::memset(&request, 0, sizeof(request));
  std::memcpy(request.ifr_name, ifname.c_str(), ifname.size());

  if (ioctl(fd, SIOCGIFINDEX, &request) != 0) return -errno;
  socket->ifindex = request.ifr_ifindex;
  if (ioctl(fd, SIOCGIFHWADDR, &request) != 0) return -errno;
  if (request.ifr_hwaddr.sa_family != ARPHRD_ETHER) return -EPROTONOSUPPORT;
  std::memcpy(socket->mac, request.ifr_hwaddr.sa_data, sizeof(socket->mac));
  if (ioctl(fd, SIOCGIFFLAGS, &request) != 0) return -errno;
  if ((request.ifr_flags & IFF_UP) == 0) return -ENETDOWN;
  if (ioctl(fd, SIOCGIFMTU, &request) != 0) return -errno;
  socket->mtu = static_cast<uint32_t>(request.ifr_mtu);
  return 0;
}

// Attaches the filter, creates and maps the ring, binds; returns 0 or -errno.
int SetUpRing(RawSocket* socket, const RingSize& size) {
  const int fd = socket->fd;
  struct sock_fprog program;
  program.len = sizeof(kFilter) / sizeof(kFilter[0]);
  program.filter = const_cast<struct sock_filter*>(kFilter);
  if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &program, sizeof(program)) != 0) return -errno;

  const int version = TPACKET_V3;
  if (setsockopt(fd, SOL_PACKET, PACKET_VERSION, &version, sizeof(version)) != 0) return -errno;

  struct tpacket_req3 request;
  std::memset(&request, 0, sizeof(request));
  request.tp_block_size = size.block_bytes;
  request.tp_block_nr = size.block_count;
  request.tp_frame_size = size.frame_bytes;
  request.tp_frame_nr = (size.block_bytes / size.frame_bytes) * size.block_count;
  request.tp_retire_blk_tov = size.timeout_ms;
  if (setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &request, sizeof(request)) != 0) return -errno;

  const size_t ring_bytes = static_cast<size_t>(size.block_bytes) * size.block_count;
  void* ring = mmap(nullptr, ring_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (ring == MAP_FAILED) return -errno;
  socket->ring = static_cast<uint8_t*>(ring);
  socket->block_bytes = size.block_bytes;
  socket->block_count = size.block_count;

  struct sockaddr_ll local;
  std::memset(&local, 0, sizeof(local));
  local.sll_family = AF_PACKET;
  local.sll_protocol = htons(ETH_P_ALL);
  local.sll_ifindex = socket->ifindex;
  if (bind(fd, reinterpret_cast<struct sockaddr*>(&local), sizeof(local)) != 0) return -errno;
  return 0;
}

// Stores socket in the first free slot of table; returns the handle or -EMFILE.
int AddToTable(RawTable* table, std::unique_ptr<RawSocket> socket) {
  for (size_t i = 0; i < table->sockets.size(); i++) {
    if (!table->sockets[i]) {
      table->sockets[i] = std::move(socket);
      return static_cast<int>(i);
    }
  }
  if (table->sockets.size() >= kMaxHandles) return -EMFILE;
  table->sockets.push_back(std::move(socket));
  return static_cast<int>(table->sockets.size() - 1);
}

// rawOpen(ifname, blockBytes, blockCount, frameBytes, blockTimeoutMs, flags): handle (>= 0) or
// -errno.
Napi::Value RawOpen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RawTable* table = static_cast<RawTable*>(info.Data());
  RingSize size;
  uint32_t flags = 0;
  if (!info[0].IsString() || !ReadUint32(info[1], &size.block_bytes) ||
      !ReadUint32(info[2], &size.block_count) || !ReadUint32(info[3], &size.frame_bytes) ||
      !ReadUint32(info[4], &size.timeout_ms) || !ReadUint32(info[5], &flags) ||
      !IsValidRingSize(size)) {
    return InvalidArgument(env);
  }
  const std::string ifname = info[0].As<Napi::String>().Utf8Value();
  if (ifname.empty() || ifname.size() >= IFNAMSIZ) return Result(env, -ENODEV);

  auto socket = std::make_unique<RawSocket>();
  socket->accept_vlan = (flags & kRawAcceptVlan) != 0;
  socket->fd = ::socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (socket->fd < 0) return Result(env, -errno);

  int rc = ReadInterface(socket->fd, ifname, socket.get());
  if (rc == 0) rc = SetUpRing(socket.get(), size);
  if (rc == 0) rc = AddToTable(table, std::move(socket));
  return Result(env, rc);  // on failure the destructor unmaps and closes
}

// rawFd(handle): the socket's file descriptor (for pollStart) or -EBADF.
Napi::Value RawFd(const Napi::CallbackInfo& info) {
  RawSocket* socket = FindRawSocket(static_cast<RawTable*>(info.Data()), info[0]);
  return Result(info.Env(), socket ? socket->fd : -EBADF);
}

// rawClose(handle): 0, or -EBADF for an unknown handle. Stop the poll watch first.
Napi::Value RawClose(const Napi::CallbackInfo& info) {
  RawTable* table = static_cast<RawTable*>(info.Data());
  RawSocket* socket = FindRawSocket(table, info[0]);
  if (!socket) return Result(info.Env(), -EBADF);
  for (auto& slot : table->sockets) {
    if (slot.get() == socket) slot.reset();
  }
  return Result(info.Env(), 0);
}

// rawStats(handle, out: Float64Array): number of counters written (kCounterCount) or -errno.
// Reading PACKET_STATISTICS resets the kernel's counters, so they are summed here.
Napi::Value RawStats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RawSocket* socket = FindRawSocket(static_cast<RawTable*>(info.Data()), info[0]);
  const auto out = ReadArray<double, napi_float64_array>(info[1]);
  if (!socket) return Result(env, -EBADF);
  if (!out.ok || out.length < kCounterCount) return InvalidArgument(env);

  struct tpacket_stats_v3 stats;
  socklen_t length = sizeof(stats);
  std::memset(&stats, 0, sizeof(stats));
  if (getsockopt(socket->fd, SOL_PACKET, PACKET_STATISTICS, &stats, &length) == 0) {
    socket->counters[kKernelPackets] += stats.tp_packets;
    socket->counters[kKernelDrops] += stats.tp_drops;
  }
  for (size_t i = 0; i < kCounterCount; i++) out.data[i] = socket->counters[i];
  return Result(env, kCounterCount);
}

// rawInfo(handle, out: Uint32Array): writes ifindex, MTU, MAC bytes 0-1 and MAC bytes 2-5 (big
// endian) and returns 4, or -errno.
Napi::Value RawInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RawSocket* socket = FindRawSocket(static_cast<RawTable*>(info.Data()), info[0]);
  const auto out = ReadWords(info[1]);
  if (!socket) return Result(env, -EBADF);
  if (!out.ok || out.length < 4) return InvalidArgument(env);
  const uint8_t* mac = socket->mac;
  out.data[0] = static_cast<uint32_t>(socket->ifindex);
  out.data[1] = socket->mtu;
  out.data[2] = (static_cast<uint32_t>(mac[0]) << 8) | mac[1];
  out.data[3] = (static_cast<uint32_t>(mac[2]) << 24) | (static_cast<uint32_t>(mac[3]) << 16) |
                (static_cast<uint32_t>(mac[4]) << 8) | mac[5];
  return Result(env, 4);
}

// Closes every socket still open when the environment exits. Registered before the poll
// registry's hook, so it runs after the poll watches have been stopped.
void OnEnvironmentExit(void* data) {
  delete static_cast<RawTable*>(data);
}

}  // namespace

RawSocket::~RawSocket() {
  if (ring) munmap(ring, block_bytes * block_count);
  if (fd >= 0) close(fd);
}

RawSocket* FindRawSocket(RawTable* table, const Napi::Value& handle) {
  uint32_t index = 0;
  if (!ReadUint32(handle, &index) || index >= table->sockets.size()) return nullptr;
  return table->sockets[index].get();
}

void RegisterRaw(Napi::Env env, Napi::Object exports) {
  RawTable* table = new RawTable();
  napi_add_env_cleanup_hook(env, OnEnvironmentExit, table);
  exports.Set("rawOpen", Napi::Function::New(env, RawOpen, "rawOpen", table));
  exports.Set("rawFd", Napi::Function::New(env, RawFd, "rawFd", table));
  exports.Set("rawClose", Napi::Function::New(env, RawClose, "rawClose", table));
  exports.Set("rawStats", Napi::Function::New(env, RawStats, "rawStats", table));
  exports.Set("rawInfo", Napi::Function::New(env, RawInfo, "rawInfo", table));
  exports.Set("rawRecv", Napi::Function::New(env, RawRecv, "rawRecv", table));
  exports.Set("rawSend", Napi::Function::New(env, RawSend, "rawSend", table));
}

}  // namespace nestor
