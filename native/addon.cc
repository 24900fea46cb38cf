// The addon's entry point: sets up per-environment data and registers each part. Parts live in their own files.
#include <uv.h>

#include "addon.h"

namespace nixbtm {

Napi::Value ThrowError(Napi::Env env, const std::string& message, int errno_code) {
  Napi::Error error = Napi::Error::New(env, message);
  if (errno_code != 0) error.Set("code", Napi::String::New(env, uv_err_name(-errno_code)));
  error.ThrowAsJavaScriptException();
  return env.Undefined();
}

}  // namespace nixbtm

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  using namespace nixbtm;
  env.SetInstanceData<AddonData>(new AddonData());
  InitRingLayout(env, exports);
  InitRingWriter(env, exports);
  InitRingReader(env, exports);
  InitPeer(env, exports);
  InitSched(env, exports);
  return exports;
}

NODE_API_MODULE(nix_btm_native, Init)
