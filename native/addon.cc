// Entry point of the nestor_native addon: registers the exported functions. Each job lives in its
// own file: hash.cc (RFC 3074 hashing), udp.cc (batched UDP), raw_*.cc (AF_PACKET ring and
// frames), poll.cc (socket readiness).

#include <napi.h>

#include "hash.h"
#include "poll.h"
#include "raw.h"
#include "udp.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("hashKeys", Napi::Function::New(env, nestor::HashKeys, "hashKeys"));
  exports.Set("hashPackets", Napi::Function::New(env, nestor::HashPackets, "hashPackets"));
  exports.Set("udpOpen", Napi::Function::New(env, nestor::UdpOpen, "udpOpen"));
  exports.Set("udpRecv", Napi::Function::New(env, nestor::UdpRecv, "udpRecv"));
  exports.Set("udpSend", Napi::Function::New(env, nestor::UdpSend, "udpSend"));
  exports.Set("closeFd", Napi::Function::New(env, nestor::CloseFd, "closeFd"));
  // Environment cleanup hooks run in reverse order, so the raw sockets close after the poll
  // watches on them have stopped.
  nestor::RegisterRaw(env, exports);
  nestor::RegisterPoll(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(nestor_native, Init)
