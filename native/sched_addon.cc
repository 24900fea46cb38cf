// shortSlices(us): asks EEVDF (Linux >= 6.12) for a short time slice for the calling thread. A woken task with a
// shorter slice has an earlier virtual deadline, so it may preempt the running task at once instead of waiting for
// it to use up its slice: on a busy machine that wait is what makes a wake-up take milliseconds. For threads that
// run briefly per wake-up (the proxy's forwarding loop); needs no privilege. Older kernels
// refuse (EINVAL) or ignore it; the result says whether the kernel took it.
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

#include "addon.h"

namespace nixbtm {
namespace {

Napi::Value ShortSlices(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) return ThrowError(env, "shortSlices(us): a number of microseconds");
  const double us = info[0].As<Napi::Number>().DoubleValue();
  // The kernel's own bounds for sched_runtime of a fair task: 100 us to 100 ms.
  if (!(us >= 100 && us <= 100000)) return ThrowError(env, "shortSlices(us): between 100 and 100000 microseconds");
  // struct sched_attr of the sched_setattr(2) ABI (glibc has no wrapper; the uapi header clashes with <sched.h>).
  struct {
    uint32_t size, sched_policy;
    uint64_t sched_flags;
    int32_t sched_nice;
    uint32_t sched_priority;
    uint64_t sched_runtime, sched_deadline, sched_period;
  } attr = {};
  attr.size = sizeof attr;
  attr.sched_policy = SCHED_OTHER;
  // Keep this thread's nice value: sched_setattr sets it too.
  errno = 0;
  const int nice_value = getpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)));
  attr.sched_nice = errno == 0 ? nice_value : 0;
  attr.sched_runtime = static_cast<uint64_t>(us) * 1000;
  const long r = syscall(SYS_sched_setattr, 0, &attr, 0);
  return Napi::Boolean::New(env, r == 0);
}

}  // namespace

void InitSched(Napi::Env env, Napi::Object exports) {
  exports.Set("shortSlices", Napi::Function::New(env, ShortSlices));
}

}  // namespace nixbtm
