// A minimal io_uring (raw syscalls, no liburing) used for one thing: FUTEX_WAIT on a ring's futex word, so that
// the writer's FUTEX_WAKE completes a request whose ring fd the JS thread's event loop polls (loop_wait.cc): the
// wake-up lands in the loop itself, one thread hop, where the waiter thread (waiter.cc) takes two. No N-API here.
#pragma once

#include <linux/io_uring.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace nixbtm::ring {

class FutexUring {
 public:
  // nullptr and `why` when this kernel or process cannot use it: no io_uring (ENOSYS, a seccomp filter),
  // kernel.io_uring_disabled (EPERM), or no IORING_OP_FUTEX_WAIT (Linux < 6.7). The caller falls back.
  static std::unique_ptr<FutexUring> Open(std::string* why);
  ~FutexUring();
  FutexUring(const FutexUring&) = delete;
  FutexUring& operator=(const FutexUring&) = delete;

  // Readable (POLLIN) while a completion is waiting.
  int fd() const { return fd_; }
  // Queues FUTEX_WAIT(word, expected) (shared, not private: the writer is another process) and submits it. It
  // completes on a FUTEX_WAKE of the word, or at once if the word is no longer `expected`. False on a submit error.
  bool SubmitWait(const std::atomic<uint32_t>* word, uint32_t expected);
  // Queues a no-op, which completes at once: "run again at the next poll" without blocking anything.
  bool SubmitNop();
  // Consumes every completion; returns how many there were.
  int Reap();
  // Blocks until a completion is there and consumes it; `*res` is its result (-errno on failure).
  bool WaitOne(int32_t* res);

 private:
  FutexUring() = default;
  bool Map(std::string* why);
  io_uring_sqe* NextSqe();
  bool Submit();

  int fd_ = -1;
  io_uring_params params_ = {};
  uint8_t* sq_ = nullptr;
  size_t sq_bytes_ = 0;
  uint8_t* cq_ = nullptr;
  size_t cq_bytes_ = 0;
  io_uring_sqe* sqes_ = nullptr;
  size_t sqes_bytes_ = 0;
};

}  // namespace nixbtm::ring
