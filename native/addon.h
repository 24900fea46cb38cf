// Shared by the N-API glue files: per-environment state (main thread and each worker get their own) and
// the registration function of each part of the addon.
#pragma once

#include <napi.h>

#include <cstdint>
#include <string>

namespace nixbtm {

// Instance data (env.SetInstanceData): no addon state is static, so the addon loads in several worker threads.
struct AddonData {
  uint32_t active_waiters = 0;  // waiter threads running in this environment
};

inline AddonData* GetAddonData(Napi::Env env) { return env.GetInstanceData<AddonData>(); }

// Throws a JS Error with `message`, and `code` (e.g. "ENOENT") when errno_code is non-zero. Returns undefined.
Napi::Value ThrowError(Napi::Env env, const std::string& message, int errno_code = 0);

// One registrar per part of the addon; Init (addon.cc) calls each.
void InitRingWriter(Napi::Env env, Napi::Object exports);
void InitRingReader(Napi::Env env, Napi::Object exports);
void InitRingLayout(Napi::Env env, Napi::Object exports);
void InitPeer(Napi::Env env, Napi::Object exports);
void InitSched(Napi::Env env, Napi::Object exports);

}  // namespace nixbtm
