// Socket readiness through the libuv loop of the calling Node.js environment.

#ifndef NATIVE_POLL_H_
#define NATIVE_POLL_H_

#include <napi.h>

namespace nestor {

// Adds pollStart and pollStop to exports, bound to a registry owned by env.
void RegisterPoll(Napi::Env env, Napi::Object exports);

}  // namespace nestor

#endif  // NATIVE_POLL_H_
