// Short EEVDF time slices (Linux >= 6.12) for the calling thread. A fair task may ask for a shorter slice, and a
// woken task with a shorter slice has an earlier virtual deadline, so it may preempt the running one at once
// instead of waiting for it to use up its slice: under CPU load that wait is what makes a wake-up take
// milliseconds. For threads that run briefly per wake-up (the ring's waiter, the proxy's and the daemon's main
// threads); needs no privilege. Older kernels refuse (EINVAL) or ignore it, and then nothing changes. No N-API here.
#pragma once

#include <cstdint>

namespace nixbtm {

// The kernel's bounds for a fair task's sched_runtime.
constexpr uint64_t kMinSliceUs = 100;
constexpr uint64_t kMaxSliceUs = 100000;

// Asks for `us` microseconds slices, keeping the thread's nice value; true when the kernel took it.
bool AskForShortSlices(uint64_t us);

}  // namespace nixbtm
