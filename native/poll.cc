// Readiness callbacks with uv_poll_t on the event loop of the environment that calls pollStart
// (napi_get_uv_event_loop), so the callback always runs on that environment's JS thread. No other
// thread touches napi_env. The JS callback gets one argument, the libuv status (0, or a negative
// errno after which libuv has stopped watching), and drains the socket with udpRecv or rawRecv.
// libuv polls level-triggered, so a socket left readable fires again on the next loop turn.
//
// Each environment (main thread or worker) has its own registry of watches, keyed by small
// integer ids. An async cleanup hook closes the remaining watches when the environment exits.

#include "poll.h"

#include <uv.h>

#include <cerrno>
#include <cstdint>
#include <unordered_map>

#include "args.h"

namespace nestor {

namespace {

struct Registry;

struct Watch {
  uv_poll_t handle;
  napi_env env;
  Napi::FunctionReference callback;
  Registry* registry;
};

struct Registry {
  std::unordered_map<uint32_t, Watch*> watches;
  uint32_t next_id = 1;
  // Handles passed to uv_close whose close callback has not run yet.
  uint32_t closing = 0;
  // Set when the environment starts exiting; the exit waits until closing reaches 0.
  napi_async_cleanup_hook_handle exit_hook = nullptr;
};

// Releases the registry and lets the environment finish exiting. Node.js unloads the addon after
// that, so no close callback may still point into it.
void FinishExit(Registry* registry) {
  napi_remove_async_cleanup_hook(registry->exit_hook);
  delete registry;
}

void OnClosed(uv_handle_t* handle) {
  Watch* watch = static_cast<Watch*>(handle->data);
  Registry* registry = watch->registry;
  delete watch;
  registry->closing -= 1;
  if (registry->exit_hook != nullptr && registry->closing == 0) FinishExit(registry);
}

// Stops watching and releases the callback now; the memory goes when libuv has closed the handle.
void CloseWatch(Watch* watch) {
  uv_poll_stop(&watch->handle);
  watch->callback.Reset();
  watch->registry->closing += 1;
  uv_close(reinterpret_cast<uv_handle_t*>(&watch->handle), OnClosed);
}

void OnReadable(uv_poll_t* handle, int status, int /* events */) {
  // On a poll error (status < 0, for example a packet socket whose interface went down) libuv
  // has stopped the watch; the callback still runs, and the next receive call returns the error.
  Watch* watch = static_cast<Watch*>(handle->data);
  Napi::Env env(watch->env);
  Napi::HandleScope scope(env);

  // MakeCallback runs queued microtasks and process.nextTick work after the callback returns.
  watch->callback.MakeCallback(env.Global(), {Napi::Number::New(env, status)});
  if (env.IsExceptionPending()) {
    Napi::Error error = env.GetAndClearPendingException();
    napi_fatal_exception(env, error.Value());  // reported like any uncaught exception
  }
}

// Runs when the environment exits (process end or worker termination): closes the remaining
// watches. An async cleanup hook keeps the addon loaded until libuv has run every close callback.
void OnEnvironmentExit(napi_async_cleanup_hook_handle hook, void* data) {
  Registry* registry = static_cast<Registry*>(data);
  registry->exit_hook = hook;
  for (auto& entry : registry->watches) CloseWatch(entry.second);
  registry->watches.clear();
  if (registry->closing == 0) FinishExit(registry);
}

// pollStart(fd, onReadable): watch id (> 0) or -errno.
Napi::Value PollStart(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Registry* registry = static_cast<Registry*>(info.Data());
  int32_t fd = -1;
  if (!ReadInt32(info[0], &fd) || fd < 0 || !info[1].IsFunction()) return InvalidArgument(env);

  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) return Result(env, -EIO);

  Watch* watch = new Watch();
  watch->handle.data = watch;
  watch->env = env;
  watch->registry = registry;
  int rc = uv_poll_init(loop, &watch->handle, fd);
  if (rc != 0) {
    delete watch;  // uv_poll_init failed before registering the handle with the loop
    return Result(env, rc);
  }
  rc = uv_poll_start(&watch->handle, UV_READABLE, OnReadable);
  if (rc != 0) {
    CloseWatch(watch);
    return Result(env, rc);
  }
  watch->callback = Napi::Persistent(info[1].As<Napi::Function>());

  const uint32_t id = registry->next_id++;
  registry->watches[id] = watch;
  return Result(env, id);
}

// pollStop(id): stops the watch and removes it from the registry. An unknown id is ignored.
Napi::Value PollStop(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Registry* registry = static_cast<Registry*>(info.Data());
  uint32_t id = 0;
  if (!ReadUint32(info[0], &id)) return env.Undefined();

  auto found = registry->watches.find(id);
  if (found == registry->watches.end()) return env.Undefined();
  CloseWatch(found->second);
  registry->watches.erase(found);
  return env.Undefined();
}

}  // namespace

void RegisterPoll(Napi::Env env, Napi::Object exports) {
  Registry* registry = new Registry();
  napi_add_async_cleanup_hook(env, OnEnvironmentExit, registry, nullptr);
  exports.Set("pollStart", Napi::Function::New(env, PollStart, "pollStart", registry));
  exports.Set("pollStop", Napi::Function::New(env, PollStop, "pollStop", registry));
}

}  // namespace nestor
