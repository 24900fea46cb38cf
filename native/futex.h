// Shared (not _PRIVATE) futex calls on a word inside a MAP_SHARED mapping, so waiters in other processes are found.
#pragma once

#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <climits>
#include <cstdint>

namespace nixbtm::ring {

// Blocks while *word == expected, for at most timeout_ms; returns on wake, timeout, signal or value mismatch.
inline void FutexWait(std::atomic<uint32_t>* word, uint32_t expected, long timeout_ms) {
  struct timespec timeout = {timeout_ms / 1000, (timeout_ms % 1000) * 1000000L};
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAIT, expected, &timeout, nullptr, 0);
}

// Wakes every thread of every process blocked on word.
inline void FutexWakeAll(std::atomic<uint32_t>* word) {
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAKE, INT_MAX, nullptr, nullptr, 0);
}

}  // namespace nixbtm::ring
