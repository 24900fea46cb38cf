// shortSlices(us): slices.h's AskForShortSlices for the calling JS thread; the result says whether the kernel took it.
#include <cstdint>

#include "addon.h"
#include "slices.h"

namespace nixbtm {
namespace {

Napi::Value ShortSlices(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) return ThrowError(env, "shortSlices(us): a number of microseconds");
  const double us = info[0].As<Napi::Number>().DoubleValue();
  if (!(us >= kMinSliceUs && us <= kMaxSliceUs)) return ThrowError(env, "shortSlices(us): between 100 and 100000 microseconds");
  return Napi::Boolean::New(env, AskForShortSlices(static_cast<uint64_t>(us)));
}

}  // namespace

void InitSched(Napi::Env env, Napi::Object exports) {
  exports.Set("shortSlices", Napi::Function::New(env, ShortSlices));
}

}  // namespace nixbtm
