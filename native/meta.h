// Word indexes of the per-datagram meta records shared with src/io/batch.ts. The byte table with
// the meaning of each word is at the top of udp.cc.

#ifndef NATIVE_META_H_
#define NATIVE_META_H_

#include <cstddef>
#include <cstdint>

namespace nestor {

constexpr size_t kMetaWords = 8;

// Receive meta, written by udpRecv; hashPackets reads OFFSET and LENGTH and writes BUCKET.
constexpr size_t kRxOffset = 0;
constexpr size_t kRxLength = 1;
constexpr size_t kRxSrcAddr = 2;
constexpr size_t kRxSrcPort = 3;
constexpr size_t kRxDstAddr = 4;
constexpr size_t kRxIfindex = 5;
constexpr size_t kRxBucket = 6;
constexpr size_t kRxFlags = 7;
constexpr uint32_t kRxFlagTruncated = 1;

// Send meta, read by udpSend.
constexpr size_t kTxOffset = 0;
constexpr size_t kTxLength = 1;
constexpr size_t kTxDstAddr = 2;
constexpr size_t kTxDstPort = 3;
constexpr size_t kTxSrcAddr = 4;
constexpr size_t kTxIfindex = 5;

// Largest number of datagrams one udpRecv or udpSend call handles.
constexpr uint32_t kMaxBatch = 1024;

}  // namespace nestor

#endif  // NATIVE_META_H_
