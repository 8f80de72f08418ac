// rawRecv: reads frames from the TPACKET_V3 ring of an AF_PACKET socket, checks their Ethernet,
// IPv4 and UDP headers and copies each DHCP message into one slot of a caller-owned buffer.
//
// Frame as the ring stores it (the kernel has already removed an 802.1Q tag into tp_vlan_tci):
//
//   byte         field
//   0            Ethernet destination MAC (6)
//   6            Ethernet source MAC (6)
//   12           ethertype, 0x0800
//   14           IPv4 header, IHL × 4 bytes (20 to 60): total length at +2, fragment field at
//                +6, protocol at +9, header checksum at +10, source at +12, destination at +16
//   14 + IHL×4   UDP header (8): source port, destination port, length, checksum
//   22 + IHL×4   UDP payload: the DHCP message
//
// Receive meta (48 bytes per datagram; addresses in host byte order; words 0-7 as in udp.cc):
//
//   word  byte  name        content
//   0     0     OFFSET      start of the payload in data (slot index × slotSize)
//   1     4     LENGTH      bytes stored in the slot (at most slotSize)
//   2     8     SRC_ADDR    IPv4 source address
//   3     12    SRC_PORT    UDP source port
//   4     16    DST_ADDR    IPv4 destination address
//   5     20    IFINDEX     index of the interface the socket is bound to
//   6     24    BUCKET      RFC 3074 hash 0-255 of the load-balancing key, 0xffff for no key
//   7     28    FLAGS       bit 0 truncated, bit 1 raw (always set), bit 2 checksum unverified
//   8     32    SRC_MAC_HI  Ethernet source MAC bytes 0-1 (byte 0 in bits 8-15)
//   9     36    SRC_MAC_LO  Ethernet source MAC bytes 2-5 (byte 2 in bits 24-31)
//   10    40    VLAN        0x10000 | tag control information when tagged, else 0
//   11    44    reserved    0
//
// Frames are dropped (and counted) for a wrong IPv4 header checksum, a wrong non-zero UDP
// checksum, an IPv4 fragment, anything that is not IPv4 UDP to port 67, headers or length fields
// running past the frame, and an 802.1Q tag unless the socket accepts tagged frames.

#include <linux/if_packet.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "args.h"
#include "checksum.h"
#include "hash.h"
#include "meta.h"
#include "raw.h"

namespace nestor {

namespace {

constexpr size_t kEthernetBytes = 14;
constexpr size_t kIpMinBytes = 20;
constexpr size_t kUdpBytes = 8;
constexpr uint16_t kEthertypeIpv4 = 0x0800;
constexpr uint8_t kProtocolUdp = 17;
constexpr uint16_t kDhcpServerPort = 67;
// IPv4 fragment field: MF flag and fragment offset.
constexpr uint16_t kFragmentMask = 0x3fff;

inline uint16_t Read16(const uint8_t* p) {
  return static_cast<uint16_t>((p[0] << 8) | p[1]);
}

inline uint32_t Read32(const uint8_t* p) {
  return (static_cast<uint32_t>(p[0]) << 24) | (static_cast<uint32_t>(p[1]) << 16) |
         (static_cast<uint32_t>(p[2]) << 8) | p[3];
}

// Destination of the datagrams of one receive call.
struct Output {
  uint8_t* data;
  uint32_t slot_size;
  uint32_t* meta;
  uint32_t count;
};

// Parses one frame; appends its payload to out or counts why it was dropped.
void ParseFrame(RawSocket* socket, const struct tpacket3_hdr* header, Output* out) {
  double* counters = socket->counters;
  counters[kSeen] += 1;

  uint32_t vlan = 0;
  if (header->tp_status & TP_STATUS_VLAN_VALID) {
    if (!socket->accept_vlan) {
      counters[kVlanTagged] += 1;
      return;
    }
    vlan = kVlanPresent | header->hv1.tp_vlan_tci;
  }

  const uint8_t* frame = reinterpret_cast<const uint8_t*>(header) + header->tp_mac;
  const size_t captured = header->tp_snaplen;
  const bool is_cut = header->tp_len > header->tp_snaplen;  // the ring frame was too small
  if (captured < kEthernetBytes + kIpMinBytes) {
    counters[kTruncated] += 1;
    return;
  }

  const uint8_t* ip = frame + kEthernetBytes;
  const size_t ip_header_bytes = static_cast<size_t>(ip[0] & 0x0f) * 4;
  if (Read16(frame + 12) != kEthertypeIpv4 || (ip[0] >> 4) != 4 || ip_header_bytes < kIpMinBytes ||
      ip[9] != kProtocolUdp) {
    counters[kNotDhcp] += 1;
    return;
  }
  const size_t ip_total = Read16(ip + 2);
  const size_t ip_available = captured - kEthernetBytes;
  if (ip_available < ip_header_bytes + kUdpBytes || ip_total < ip_header_bytes + kUdpBytes ||
      (ip_total > ip_available && !is_cut)) {
    counters[kTruncated] += 1;
    return;
  }
  if ((Read16(ip + 6) & kFragmentMask) != 0) {
    counters[kFragment] += 1;
    return;
  }
  if (FoldSum(SumWords(ip, ip_header_bytes, 0)) != 0xffff) {
    counters[kBadIpChecksum] += 1;
    return;
  }

  const uint8_t* udp = ip + ip_header_bytes;
  const size_t udp_length = Read16(udp + 4);
  if (Read16(udp + 2) != kDhcpServerPort) {
    counters[kNotDhcp] += 1;
    return;
  }
  if (udp_length < kUdpBytes || udp_length > ip_total - ip_header_bytes) {
    counters[kTruncated] += 1;
    return;
  }
  // Payload bytes present in the ring frame; fewer than udp_length - 8 only when is_cut.
  const size_t udp_available = ip_available - ip_header_bytes;
  const bool is_complete = udp_available >= udp_length;
  const size_t payload_bytes = (is_complete ? udp_length : udp_available) - kUdpBytes;

  const uint32_t source = Read32(ip + 12);
  const uint32_t destination = Read32(ip + 16);
  uint32_t flags = kRxFlagRaw;
  const bool kernel_checked = (header->tp_status & TP_STATUS_CSUM_VALID) != 0;
  const bool not_ready = (header->tp_status & TP_STATUS_CSUMNOTREADY) != 0;
  if (!kernel_checked) {
    if (Read16(udp + 6) == 0 || not_ready || !is_complete) {
      flags |= kRxFlagChecksumUnverified;
    } else {
      const uint64_t sum = SumWords(udp, udp_length, PseudoHeaderSum(source, destination, udp_length));
      if (FoldSum(sum) != 0xffff) {
        counters[kBadUdpChecksum] += 1;
        return;
      }
    }
  }

  const uint32_t index = out->count;
  uint8_t* slot = out->data + static_cast<size_t>(index) * out->slot_size;
  const size_t stored = payload_bytes < out->slot_size ? payload_bytes : out->slot_size;
  std::memcpy(slot, udp + kUdpBytes, stored);
  if (stored < udp_length - kUdpBytes) flags |= kRxFlagTruncated;

  const uint8_t* mac = frame + 6;
  uint32_t* record = out->meta + static_cast<size_t>(index) * kMetaWords;
  record[kRxOffset] = index * out->slot_size;
  record[kRxLength] = static_cast<uint32_t>(stored);
  record[kRxSrcAddr] = source;
  record[kRxSrcPort] = Read16(udp);
  record[kRxDstAddr] = destination;
  record[kRxIfindex] = static_cast<uint32_t>(socket->ifindex);
  record[kRxBucket] = PacketBucket(slot, stored);
  record[kRxFlags] = flags;
  record[kRxSrcMacHi] = Read16(mac);
  record[kRxSrcMacLo] = Read32(mac + 2);
  record[kRxVlan] = vlan;
  record[kRxReserved] = 0;
  out->count += 1;
  counters[kDelivered] += 1;
}

struct tpacket_block_desc* BlockAt(RawSocket* socket, uint32_t block) {
  return reinterpret_cast<struct tpacket_block_desc*>(socket->ring + socket->block_bytes * block);
}

// Walks the ring from the saved position until max datagrams are stored or no block is ready.
// A block goes back to the kernel as soon as its last frame is read.
void ReadRing(RawSocket* socket, Output* out, uint32_t max) {
  while (out->count < max) {
    struct tpacket_block_desc* block = BlockAt(socket, socket->block);
    struct tpacket_hdr_v1* block_header = &block->hdr.bh1;
    // Acquire pairs with the kernel's release when it hands the block over, so the frames are
    // visible before they are read.
    if ((__atomic_load_n(&block_header->block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER) == 0) {
      return;
    }
    if (socket->frame_index == 0) socket->frame_offset = block_header->offset_to_first_pkt;

    if (socket->frame_index >= block_header->num_pkts) {
      __atomic_store_n(&block_header->block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
      socket->block = (socket->block + 1) % socket->block_count;
      socket->frame_index = 0;
      continue;
    }

    const auto* frame = reinterpret_cast<const struct tpacket3_hdr*>(
        reinterpret_cast<const uint8_t*>(block) + socket->frame_offset);
    ParseFrame(socket, frame, out);
    socket->frame_offset += frame->tp_next_offset;
    socket->frame_index += 1;
  }
}

}  // namespace

// rawRecv(handle, data, slotSize, meta, max): datagrams stored, 0 when the ring contains none, or
// -errno. When the ring is empty it reads the socket's pending error (SO_ERROR), so a socket whose
// interface went down returns -ENETDOWN once.
Napi::Value RawRecv(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RawSocket* socket = FindRawSocket(static_cast<RawTable*>(info.Data()), info[0]);
  uint32_t slot_size = 0;
  uint32_t max = 0;
  const auto data = ReadBytes(info[1]);
  const auto meta = ReadWords(info[3]);
  if (!socket) return Result(env, -EBADF);
  if (!data.ok || !ReadUint32(info[2], &slot_size) || !meta.ok || !ReadUint32(info[4], &max)) {
    return InvalidArgument(env);
  }
  if (max == 0 || max > kMaxBatch || slot_size == 0 ||
      static_cast<uint64_t>(max) * slot_size > data.length || meta.length / kMetaWords < max) {
    return InvalidArgument(env);
  }

  Output out = {data.data, slot_size, meta.data, 0};
  ReadRing(socket, &out, max);
  if (out.count > 0) return Result(env, out.count);

  int error = 0;
  socklen_t length = sizeof(error);
  if (getsockopt(socket->fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0) return Result(env, -errno);
  return Result(env, -error);
}

}  // namespace nestor
