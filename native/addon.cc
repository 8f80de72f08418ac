// Entry point of the nestor_native addon: registers the exported functions. Each job lives in its
// own file: hash.cc (RFC 3074 hashing), udp.cc (batched UDP), poll.cc (socket readiness).

#include <napi.h>

#include "hash.h"
#include "poll.h"
#include "udp.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("hashKeys", Napi::Function::New(env, nestor::HashKeys, "hashKeys"));
  exports.Set("hashPackets", Napi::Function::New(env, nestor::HashPackets, "hashPackets"));
  exports.Set("udpOpen", Napi::Function::New(env, nestor::UdpOpen, "udpOpen"));
  exports.Set("udpRecv", Napi::Function::New(env, nestor::UdpRecv, "udpRecv"));
  exports.Set("udpSend", Napi::Function::New(env, nestor::UdpSend, "udpSend"));
  exports.Set("closeFd", Napi::Function::New(env, nestor::CloseFd, "closeFd"));
  nestor::RegisterPoll(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(nestor_native, Init)
