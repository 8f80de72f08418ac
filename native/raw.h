// AF_PACKET sockets for directly attached clients: a TPACKET_V3 receive ring behind a classic BPF
// filter (raw_open.cc), frame parsing into receive meta (raw_rx.cc) and frame building with
// sendmmsg (raw_tx.cc). JavaScript refers to a socket by a small integer handle into a table owned
// by the Node.js environment that opened it, never by a pointer.

#ifndef NATIVE_RAW_H_
#define NATIVE_RAW_H_

#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace nestor {

// Counters kept per socket, in the order rawStats writes them.
enum RawCounter : size_t {
  kSeen = 0,             // frames read from the ring (they passed the BPF filter)
  kDelivered,            // datagrams written to receive meta
  kBadIpChecksum,        // dropped: IPv4 header checksum wrong
  kBadUdpChecksum,       // dropped: UDP checksum wrong
  kFragment,             // dropped: IPv4 fragment (first fragments only, see the filter)
  kNotDhcp,              // dropped: not IPv4, UDP and destination port 67 after all
  kTruncated,            // dropped: a header or a length field runs past the frame
  kVlanTagged,           // dropped: 802.1Q-tagged while tagged frames are not accepted
  kKernelPackets,        // PACKET_STATISTICS tp_packets, summed over reads
  kKernelDrops,          // PACKET_STATISTICS tp_drops (ring full), summed over reads
  kCounterCount,
};

// rawOpen flags.
constexpr uint32_t kRawAcceptVlan = 1;

struct RawSocket {
  int fd = -1;
  int ifindex = 0;
  uint32_t mtu = 0;
  uint8_t mac[6] = {0};
  bool accept_vlan = false;

  // The mmap'd receive ring: block_count blocks of block_bytes.
  uint8_t* ring = nullptr;
  size_t block_bytes = 0;
  uint32_t block_count = 0;

  // Read position: the block being consumed, the index and offset of its next frame.
  uint32_t block = 0;
  uint32_t frame_index = 0;
  uint32_t frame_offset = 0;

  uint16_t ip_id = 0;
  double counters[kCounterCount] = {0};

  ~RawSocket();
};

// Open sockets of one Node.js environment, indexed by handle.
struct RawTable {
  std::vector<std::unique_ptr<RawSocket>> sockets;
};

// Returns the socket of handle in table, or nullptr for an unknown or closed handle.
RawSocket* FindRawSocket(RawTable* table, const Napi::Value& handle);

// Adds rawOpen, rawFd, rawClose, rawStats, rawInfo, rawRecv and rawSend to exports, bound to a table owned
// by env.
void RegisterRaw(Napi::Env env, Napi::Object exports);

Napi::Value RawRecv(const Napi::CallbackInfo& info);
Napi::Value RawSend(const Napi::CallbackInfo& info);

}  // namespace nestor

#endif  // NATIVE_RAW_H_
