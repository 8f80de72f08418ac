// Word indexes of the per-datagram meta records shared with src/io/batch.ts. The byte tables with
// the meaning of each word are at the top of udp.cc (UDP sockets) and raw_rx.cc / raw_tx.cc
// (AF_PACKET sockets). Both paths use one layout, so the pipeline does not care where a packet
// came from; words a path has no value for are 0.

#ifndef NATIVE_META_H_
#define NATIVE_META_H_

#include <cstddef>
#include <cstdint>

namespace nestor {

constexpr size_t kMetaWords = 12;

// Receive meta, written by udpRecv and rawRecv; hashPackets reads OFFSET and LENGTH and writes
// BUCKET.
constexpr size_t kRxOffset = 0;
constexpr size_t kRxLength = 1;
constexpr size_t kRxSrcAddr = 2;
constexpr size_t kRxSrcPort = 3;
constexpr size_t kRxDstAddr = 4;
constexpr size_t kRxIfindex = 5;
constexpr size_t kRxBucket = 6;
constexpr size_t kRxFlags = 7;
constexpr size_t kRxSrcMacHi = 8;
constexpr size_t kRxSrcMacLo = 9;
constexpr size_t kRxVlan = 10;
constexpr size_t kRxReserved = 11;

// The datagram was longer than its slot (or than the ring frame) and was cut.
constexpr uint32_t kRxFlagTruncated = 1;
// The datagram came from an AF_PACKET socket, so SRC_MAC and VLAN are filled in.
constexpr uint32_t kRxFlagRaw = 2;
// The UDP checksum was not checked: the sender set none (0), the frame came from this host with
// the checksum left to the hardware, or the frame was cut before the end of the datagram.
constexpr uint32_t kRxFlagChecksumUnverified = 4;

// VLAN word of receive and send meta: bit 16 set when the frame carries an 802.1Q tag, bits 0-15
// are the tag control information (priority, DEI and VLAN id).
constexpr uint32_t kVlanPresent = 0x10000;

// Send meta, read by udpSend (words 0-5) and rawSend (all but IFINDEX).
constexpr size_t kTxOffset = 0;
constexpr size_t kTxLength = 1;
constexpr size_t kTxDstAddr = 2;
constexpr size_t kTxDstPort = 3;
constexpr size_t kTxSrcAddr = 4;
constexpr size_t kTxIfindex = 5;
constexpr size_t kTxSrcPort = 6;
constexpr size_t kTxDstMacHi = 8;
constexpr size_t kTxDstMacLo = 9;
constexpr size_t kTxVlan = 10;

// Largest number of datagrams one udpRecv, udpSend, rawRecv or rawSend call handles.
constexpr uint32_t kMaxBatch = 1024;

}  // namespace nestor

#endif  // NATIVE_META_H_
