// Batched UDP receive and send for the relay path: one recvmmsg or sendmmsg per call, datagrams in
// fixed slots of one caller-owned buffer, one meta record of 12 uint32 words per datagram.
//
// Receive meta (udpRecv writes it; 48 bytes per datagram; addresses in host byte order):
//
//   word  byte  name      content
//   0     0     OFFSET    start of the datagram in data (slot index × slotSize)
//   1     4     LENGTH    bytes stored in the slot (at most slotSize)
//   2     8     SRC_ADDR  IPv4 source address
//   3     12    SRC_PORT  UDP source port
//   4     16    DST_ADDR  IPv4 destination address from IP_PKTINFO ipi_addr; 0 when missing
//   5     20    IFINDEX   receiving interface index from IP_PKTINFO; 0 when missing
//   6     24    BUCKET    RFC 3074 hash 0-255 of the load-balancing key, 0xffff for no key
//   7     28    FLAGS     bit 0: truncated (the datagram was longer than slotSize)
//   8-11  32    0         source MAC and VLAN words of the AF_PACKET path (raw_rx.cc)
//
// Send meta (udpSend reads it; 48 bytes per datagram):
//
//   word  byte  name      content
//   0     0     OFFSET    start of the datagram in data
//   1     4     LENGTH    datagram length in bytes
//   2     8     DST_ADDR  IPv4 destination address
//   3     12    DST_PORT  UDP destination port
//   4     16    SRC_ADDR  source address through IP_PKTINFO ipi_spec_dst; 0 lets the kernel choose
//   5     20    IFINDEX   outgoing interface through IP_PKTINFO ipi_ifindex; 0 for any
//   6-11  24    ignored   source port and link words of the AF_PACKET path (raw_tx.cc); the
//                           source port is the port the socket is bound to
//
// The word indexes are in meta.h and src/io/batch.ts.

#include "udp.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>

#include "args.h"
#include "hash.h"
#include "meta.h"

namespace nestor {

namespace {

constexpr size_t kControlSize = CMSG_SPACE(sizeof(struct in_pktinfo));

// Headers for one batch. One instance per thread, allocated on first use (128 KiB on x86-64), so a
// call allocates nothing.
struct BatchHeaders {
  struct mmsghdr messages[kMaxBatch];
  struct iovec vectors[kMaxBatch];
  struct sockaddr_in addresses[kMaxBatch];
  alignas(struct cmsghdr) uint8_t control[kMaxBatch][kControlSize];
};

thread_local std::unique_ptr<BatchHeaders> batch_headers;

BatchHeaders& Headers() {
  if (!batch_headers) batch_headers.reset(new BatchHeaders());
  return *batch_headers;
}

int SetIntOption(int fd, int level, int name, int value) {
  return setsockopt(fd, level, name, &value, sizeof(value));
}

// Sets both buffer sizes. The FORCE variants pass the net.core.*mem_max limits but need
// CAP_NET_ADMIN; without it the plain options apply, capped by those limits.
void SetBufferSizes(int fd, int bytes) {
  if (SetIntOption(fd, SOL_SOCKET, SO_RCVBUFFORCE, bytes) != 0) {
    SetIntOption(fd, SOL_SOCKET, SO_RCVBUF, bytes);
  }
  if (SetIntOption(fd, SOL_SOCKET, SO_SNDBUFFORCE, bytes) != 0) {
    SetIntOption(fd, SOL_SOCKET, SO_SNDBUF, bytes);
  }
}

// Applies the socket options and binds; returns 0 or -errno.
int ConfigureAndBind(int fd, uint32_t address, uint32_t port, const std::string& ifname,
                     int buffer_bytes) {
  if (SetIntOption(fd, SOL_SOCKET, SO_REUSEADDR, 1) != 0) return -errno;
  if (SetIntOption(fd, IPPROTO_IP, IP_PKTINFO, 1) != 0) return -errno;
  if (SetIntOption(fd, SOL_SOCKET, SO_BROADCAST, 1) != 0) return -errno;
  if (buffer_bytes > 0) SetBufferSizes(fd, buffer_bytes);

  if (!ifname.empty()) {
    if (ifname.size() >= IFNAMSIZ) return -ENODEV;
    if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname.c_str(),
                   static_cast<socklen_t>(ifname.size() + 1)) != 0) {
      return -errno;
    }
  }

  struct sockaddr_in local;
  std::memset(&local, 0, sizeof(local));
  local.sin_family = AF_INET;
  local.sin_addr.s_addr = htonl(address);
  local.sin_port = htons(static_cast<uint16_t>(port));
  if (bind(fd, reinterpret_cast<struct sockaddr*>(&local), sizeof(local)) != 0) return -errno;
  return 0;
}

// Fills DST_ADDR and IFINDEX of record from the IP_PKTINFO control message, if there is one.
void ReadPacketInfo(struct msghdr* header, uint32_t* record) {
  record[kRxDstAddr] = 0;
  record[kRxIfindex] = 0;
  for (struct cmsghdr* cmsg = CMSG_FIRSTHDR(header); cmsg; cmsg = CMSG_NXTHDR(header, cmsg)) {
    if (cmsg->cmsg_level != IPPROTO_IP || cmsg->cmsg_type != IP_PKTINFO) continue;
    struct in_pktinfo info;
    std::memcpy(&info, CMSG_DATA(cmsg), sizeof(info));
    record[kRxDstAddr] = ntohl(info.ipi_addr.s_addr);
    record[kRxIfindex] = static_cast<uint32_t>(info.ipi_ifindex);
    return;
  }
}

// Prepares message i of a receive batch to land in slot i.
void PrepareReceive(BatchHeaders* h, uint32_t i, uint8_t* data, uint32_t slot_size) {
  h->vectors[i].iov_base = data + static_cast<size_t>(i) * slot_size;
  h->vectors[i].iov_len = slot_size;
  struct msghdr& header = h->messages[i].msg_hdr;
  header.msg_name = &h->addresses[i];
  header.msg_namelen = sizeof(h->addresses[i]);
  header.msg_iov = &h->vectors[i];
  header.msg_iovlen = 1;
  header.msg_control = h->control[i];
  header.msg_controllen = kControlSize;
  header.msg_flags = 0;
  h->messages[i].msg_len = 0;
}

// Prepares message i of a send batch from its meta record. Returns false when the record points
// outside data.
bool PrepareSend(BatchHeaders* h, uint32_t i, uint8_t* data, size_t data_length,
                 const uint32_t* record) {
  const uint64_t end = static_cast<uint64_t>(record[kTxOffset]) + record[kTxLength];
  if (end > data_length || record[kTxDstPort] > 0xffff) return false;

  h->vectors[i].iov_base = data + record[kTxOffset];
  h->vectors[i].iov_len = record[kTxLength];
  struct sockaddr_in& to = h->addresses[i];
  std::memset(&to, 0, sizeof(to));
  to.sin_family = AF_INET;
  to.sin_addr.s_addr = htonl(record[kTxDstAddr]);
  to.sin_port = htons(static_cast<uint16_t>(record[kTxDstPort]));

  struct msghdr& header = h->messages[i].msg_hdr;
  header.msg_name = &to;
  header.msg_namelen = sizeof(to);
  header.msg_iov = &h->vectors[i];
  header.msg_iovlen = 1;
  header.msg_flags = 0;
  header.msg_control = nullptr;
  header.msg_controllen = 0;
  if (record[kTxSrcAddr] != 0 || record[kTxIfindex] != 0) {
    std::memset(h->control[i], 0, kControlSize);
    header.msg_control = h->control[i];
    header.msg_controllen = kControlSize;
    struct cmsghdr* cmsg = CMSG_FIRSTHDR(&header);
    cmsg->cmsg_level = IPPROTO_IP;
    cmsg->cmsg_type = IP_PKTINFO;
    cmsg->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
    struct in_pktinfo info;
    std::memset(&info, 0, sizeof(info));
    info.ipi_ifindex = static_cast<int>(record[kTxIfindex]);
    info.ipi_spec_dst.s_addr = htonl(record[kTxSrcAddr]);
    std::memcpy(CMSG_DATA(cmsg), &info, sizeof(info));
  }
  return true;
}

}  // namespace

// udpOpen(bindAddress, port, ifname, rcvbufBytes): fd or -errno.
Napi::Value UdpOpen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t address = 0;
  uint32_t port = 0;
  int32_t buffer_bytes = 0;
  if (!ReadUint32(info[0], &address) || !ReadUint32(info[1], &port) || port > 0xffff ||
      !info[2].IsString() || !ReadInt32(info[3], &buffer_bytes)) {
    return InvalidArgument(env);
  }
  const std::string ifname = info[2].As<Napi::String>().Utf8Value();

  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
  if (fd < 0) return Result(env, -errno);
  const int rc = ConfigureAndBind(fd, address, port, ifname, buffer_bytes);
  if (rc != 0) {
    close(fd);
    return Result(env, rc);
  }
  return Result(env, fd);
}

// udpRecv(fd, data, slotSize, meta, max): datagrams received, 0 when none is waiting, or -errno.
Napi::Value UdpRecv(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int32_t fd = -1;
  uint32_t slot_size = 0;
  uint32_t max = 0;
  const auto data = ReadBytes(info[1]);
  const auto meta = ReadWords(info[3]);
  if (!ReadInt32(info[0], &fd) || !data.ok || !ReadUint32(info[2], &slot_size) || !meta.ok ||
      !ReadUint32(info[4], &max)) {
    return InvalidArgument(env);
  }
  if (max == 0 || max > kMaxBatch || slot_size == 0 ||
      static_cast<uint64_t>(max) * slot_size > data.length || meta.length / kMetaWords < max) {
    return InvalidArgument(env);
  }

  BatchHeaders& h = Headers();
  for (uint32_t i = 0; i < max; i++) PrepareReceive(&h, i, data.data, slot_size);

  int received;
  do {
    received = recvmmsg(fd, h.messages, max, MSG_DONTWAIT, nullptr);
  } while (received < 0 && errno == EINTR);
  if (received < 0) return Result(env, (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -errno);

  for (int i = 0; i < received; i++) {
    struct msghdr& header = h.messages[i].msg_hdr;
    uint32_t* record = meta.data + static_cast<size_t>(i) * kMetaWords;
    const struct sockaddr_in& from = h.addresses[i];
    const bool has_source = header.msg_namelen >= sizeof(from) && from.sin_family == AF_INET;

    record[kRxOffset] = static_cast<uint32_t>(i) * slot_size;
    record[kRxLength] = h.messages[i].msg_len;
    record[kRxSrcAddr] = has_source ? ntohl(from.sin_addr.s_addr) : 0;
    record[kRxSrcPort] = has_source ? ntohs(from.sin_port) : 0;
    ReadPacketInfo(&header, record);
    record[kRxBucket] = PacketBucket(data.data + record[kRxOffset], record[kRxLength]);
    record[kRxFlags] = (header.msg_flags & MSG_TRUNC) ? kRxFlagTruncated : 0;
    record[kRxSrcMacHi] = 0;
    record[kRxSrcMacLo] = 0;
    record[kRxVlan] = 0;
    record[kRxReserved] = 0;
  }
  return Result(env, received);
}

// udpSend(fd, data, meta, count): datagrams sent or -errno. A datagram the kernel rejects (for
// example ENETUNREACH) is skipped and the rest are still sent. When the send buffer is full
// (EAGAIN) the remaining datagrams are dropped. The result is -errno only when nothing was sent.
Napi::Value UdpSend(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int32_t fd = -1;
  uint32_t count = 0;
  const auto data = ReadBytes(info[1]);
  const auto meta = ReadWords(info[2]);
  if (!ReadInt32(info[0], &fd) || !data.ok || !meta.ok || !ReadUint32(info[3], &count) ||
      count > kMaxBatch || meta.length / kMetaWords < count) {
    return InvalidArgument(env);
  }

  BatchHeaders& h = Headers();
  for (uint32_t i = 0; i < count; i++) {
    const uint32_t* record = meta.data + static_cast<size_t>(i) * kMetaWords;
    if (!PrepareSend(&h, i, data.data, data.length, record)) return InvalidArgument(env);
  }

  uint32_t next = 0;
  uint32_t sent = 0;
  int first_error = 0;
  while (next < count) {
    const int rc = sendmmsg(fd, h.messages + next, count - next, 0);
    if (rc > 0) {
      next += static_cast<uint32_t>(rc);
      sent += static_cast<uint32_t>(rc);
      continue;
    }
    if (rc < 0 && errno == EINTR) continue;
    const int error = rc < 0 ? errno : EIO;
    if (first_error == 0) first_error = error;
    if (error == EAGAIN || error == EWOULDBLOCK) break;
    next += 1;  // the kernel rejected datagram `next`: skip it
  }
  if (sent == 0 && first_error != 0) return Result(env, -first_error);
  return Result(env, sent);
}

// closeFd(fd): 0 or -errno.
Napi::Value CloseFd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int32_t fd = -1;
  if (!ReadInt32(info[0], &fd) || fd < 0) return InvalidArgument(env);
  return Result(env, close(fd) == 0 ? 0 : -errno);
}

}  // namespace nestor
