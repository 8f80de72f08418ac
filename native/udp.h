// Batched UDP receive and send with recvmmsg and sendmmsg.

#ifndef NATIVE_UDP_H_
#define NATIVE_UDP_H_

#include <napi.h>

namespace nestor {

Napi::Value UdpOpen(const Napi::CallbackInfo& info);
Napi::Value UdpRecv(const Napi::CallbackInfo& info);
Napi::Value UdpSend(const Napi::CallbackInfo& info);
Napi::Value CloseFd(const Napi::CallbackInfo& info);

}  // namespace nestor

#endif  // NATIVE_UDP_H_
