#include "slices.h"

#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

namespace nixbtm {

bool AskForShortSlices(uint64_t us) {
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
  attr.sched_runtime = us * 1000;
  return syscall(SYS_sched_setattr, 0, &attr, 0) == 0;
}

}  // namespace nixbtm
