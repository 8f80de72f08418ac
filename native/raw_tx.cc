// rawSend: builds Ethernet/IPv4/UDP frames around DHCP replies and sends a batch of them with one
// sendmmsg on the AF_PACKET socket. Each frame is two pieces: a header built here and the payload,
// read in place from the caller's buffer.
//
// Send meta (48 bytes per reply; addresses in host byte order):
//
//   word  byte  name        content
//   0     0     OFFSET      start of the payload (the DHCP message) in data
//   1     4     LENGTH      payload length in bytes
//   2     8     DST_ADDR    IPv4 destination address
//   3     12    DST_PORT    UDP destination port
//   4     16    SRC_ADDR    IPv4 source address
//   5     20    IFINDEX     ignored: the frame leaves through the socket's interface
//   6     24    SRC_PORT    UDP source port (67 for a server)
//   7     28    reserved    write 0
//   8     32    DST_MAC_HI  destination MAC bytes 0-1 (byte 0 in bits 8-15)
//   9     36    DST_MAC_LO  destination MAC bytes 2-5 (byte 2 in bits 24-31)
//   10    40    VLAN        0x10000 | tag control information to add an 802.1Q tag, else 0
//   11    44    reserved    write 0
//
// Frame built (the tag only when VLAN has bit 16 set):
//
//   byte        field
//   0           destination MAC from DST_MAC_HI and DST_MAC_LO
//   6           source MAC: the interface's own, read when the socket was opened
//   12          [0x8100, tag control information]  (4 bytes, optional)
//   12 (+4)     ethertype 0x0800
//   14 (+4)     IPv4 header, 20 bytes: version 4, IHL 5, TOS 0, total length, identification
//               incremented per frame, no flags (DF clear), TTL 64, protocol 17, checksum
//   34 (+4)     UDP header: source port, destination port, length, checksum (never 0)
//   42 (+4)     payload

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "args.h"
#include "checksum.h"
#include "meta.h"
#include "raw.h"

namespace nestor {

namespace {

constexpr size_t kMaxHeaderBytes = 14 + 4 + 20 + 8;
constexpr size_t kMaxPayloadBytes = 0xffff - 20 - 8;
constexpr uint8_t kTimeToLive = 64;

// Headers for one batch. One instance per thread, allocated on first use (about 140 KiB on
// x86-64), so a call allocates nothing.
struct FrameBatch {
  struct mmsghdr messages[kMaxBatch];
  struct iovec vectors[kMaxBatch][2];
  struct sockaddr_ll addresses[kMaxBatch];
  uint8_t headers[kMaxBatch][kMaxHeaderBytes];
};

thread_local std::unique_ptr<FrameBatch> frame_batch;

FrameBatch& Batch() {
  if (!frame_batch) frame_batch.reset(new FrameBatch());
  return *frame_batch;
}

inline uint8_t* Write16(uint8_t* p, uint32_t value) {
  p[0] = static_cast<uint8_t>(value >> 8);
  p[1] = static_cast<uint8_t>(value);
  return p + 2;
}

inline uint8_t* Write32(uint8_t* p, uint32_t value) {
  return Write16(Write16(p, value >> 16), value & 0xffff);
}

// Writes the Ethernet, IPv4 and UDP headers of one reply into header; returns their length.
size_t BuildHeaders(RawSocket* socket, const uint32_t* record, const uint8_t* payload,
                    uint8_t* header) {
  const uint32_t length = record[kTxLength];
  uint8_t* p = Write32(Write16(header, record[kTxDstMacHi]), record[kTxDstMacLo]);
  std::memcpy(p, socket->mac, sizeof(socket->mac));
  p += sizeof(socket->mac);
  if (record[kTxVlan] & kVlanPresent) p = Write16(Write16(p, ETH_P_8021Q), record[kTxVlan] & 0xffff);
  p = Write16(p, ETH_P_IP);

  uint8_t* ip = p;
  ip[0] = 0x45;
  ip[1] = 0;
  Write16(ip + 2, 20 + 8 + length);
  Write16(ip + 4, socket->ip_id++);
  Write16(ip + 6, 0);
  ip[8] = kTimeToLive;
  ip[9] = IPPROTO_UDP;
  Write16(ip + 10, 0);
  Write32(ip + 12, record[kTxSrcAddr]);
  Write32(ip + 16, record[kTxDstAddr]);
  Write16(ip + 10, static_cast<uint16_t>(~FoldSum(SumWords(ip, 20, 0))));

  uint8_t* udp = ip + 20;
  Write16(udp, record[kTxSrcPort]);
  Write16(udp + 2, record[kTxDstPort]);
  Write16(udp + 4, 8 + length);
  Write16(udp + 6, 0);
  uint64_t sum = PseudoHeaderSum(record[kTxSrcAddr], record[kTxDstAddr], 8 + length);
  sum = SumWords(payload, length, SumWords(udp, 8, sum));
  const uint16_t checksum = static_cast<uint16_t>(~FoldSum(sum));
  Write16(udp + 6, checksum == 0 ? 0xffff : checksum);  // 0 would mean "no checksum"
  return static_cast<size_t>(udp + 8 - header);
}

// Prepares message i from its meta record; returns false when the record is invalid.
bool PrepareFrame(RawSocket* socket, FrameBatch* b, uint32_t i, uint8_t* data, size_t data_length,
                  const uint32_t* record) {
  const uint64_t end = static_cast<uint64_t>(record[kTxOffset]) + record[kTxLength];
  if (end > data_length || record[kTxLength] > kMaxPayloadBytes || record[kTxDstPort] > 0xffff ||
      record[kTxSrcPort] > 0xffff || record[kTxDstMacHi] > 0xffff) {
    return false;
  }
  uint8_t* payload = data + record[kTxOffset];
  const size_t header_bytes = BuildHeaders(socket, record, payload, b->headers[i]);
  b->vectors[i][0].iov_base = b->headers[i];
  b->vectors[i][0].iov_len = header_bytes;
  b->vectors[i][1].iov_base = payload;
  b->vectors[i][1].iov_len = record[kTxLength];

  struct sockaddr_ll& to = b->addresses[i];
  std::memset(&to, 0, sizeof(to));
  to.sll_family = AF_PACKET;
  to.sll_ifindex = socket->ifindex;
  to.sll_protocol = htons((record[kTxVlan] & kVlanPresent) ? ETH_P_8021Q : ETH_P_IP);
  to.sll_halen = 6;
  std::memcpy(to.sll_addr, b->headers[i], 6);

  struct msghdr& header = b->messages[i].msg_hdr;
  std::memset(&header, 0, sizeof(header));
  header.msg_name = &to;
  header.msg_namelen = sizeof(to);
  header.msg_iov = b->vectors[i];
  header.msg_iovlen = 2;
  return true;
}

}  // namespace

// rawSend(handle, data, meta, count): frames sent or -errno. A frame the kernel rejects (for
// example EMSGSIZE for a payload above the MTU) is skipped and the rest are still sent. When the
// send buffer is full (EAGAIN, ENOBUFS) the remaining frames are dropped. The result is -errno
// only when nothing was sent; an invalid meta record makes the whole call return -EINVAL.
Napi::Value RawSend(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RawSocket* socket = FindRawSocket(static_cast<RawTable*>(info.Data()), info[0]);
  uint32_t count = 0;
  const auto data = ReadBytes(info[1]);
  const auto meta = ReadWords(info[2]);
  if (!socket) return Result(env, -EBADF);
  if (!data.ok || !meta.ok || !ReadUint32(info[3], &count) || count > kMaxBatch ||
      meta.length / kMetaWords < count) {
    return InvalidArgument(env);
  }

  FrameBatch& b = Batch();
  for (uint32_t i = 0; i < count; i++) {
    const uint32_t* record = meta.data + static_cast<size_t>(i) * kMetaWords;
    if (!PrepareFrame(socket, &b, i, data.data, data.length, record)) return InvalidArgument(env);
  }

  uint32_t next = 0;
  uint32_t sent = 0;
  int first_error = 0;
  while (next < count) {
    const int rc = sendmmsg(socket->fd, b.messages + next, count - next, 0);
    if (rc > 0) {
      next += static_cast<uint32_t>(rc);
      sent += static_cast<uint32_t>(rc);
      continue;
    }
    if (rc < 0 && errno == EINTR) continue;
    const int error = rc < 0 ? errno : EIO;
    if (first_error == 0) first_error = error;
    if (error == EAGAIN || error == EWOULDBLOCK || error == ENOBUFS) break;
    next += 1;  // the kernel rejected frame `next`: skip it
  }
  if (sent == 0 && first_error != 0) return Result(env, -first_error);
  return Result(env, sent);
}

}  // namespace nestor
