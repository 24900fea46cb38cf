// A thread that blocks on a ring's futex and reports "new records (or a dead writer)" through a callback.
// After a report the thread stays parked until the handler is idle again: the handler (JS) brackets its work with
// BeginHandling()/EndHandling(), and EndHandling() says whether to run again at once because more records came
// meanwhile. Under sustained load the thread thus sleeps and the writer makes no FUTEX_WAKE calls; a burst that
// finds the reader idle costs one report. No N-API here.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "ring.h"

namespace nixbtm::ring {

class Waiter {
 public:
  // Runs on the waiter thread; returns false when the other side is gone, which ends the thread.
  using Notify = std::function<bool()>;

  Waiter(std::shared_ptr<Mapping> map, Notify notify);
  ~Waiter();
  Waiter(const Waiter&) = delete;
  Waiter& operator=(const Waiter&) = delete;

  // False (and `error` set) when the thread cannot be created (EAGAIN: a process or thread limit); never throws.
  bool Start(Error* error);
  // Idempotent; wakes the thread and joins it. Never call from the waiter thread.
  void Stop();
  // Handler thread, before handling a report: everything published so far counts as seen.
  void BeginHandling();
  // Handler thread, after handling: true if records were published meanwhile (handle again, the thread stays
  // parked); false once the thread has been handed the watch back.
  bool EndHandling();
  // Times the thread polled before sleeping, and how many of those saw a record arrive (tests, benchmarks).
  uint64_t spins() const { return spins_.load(std::memory_order_relaxed); }
  uint64_t spin_hits() const { return spin_hits_.load(std::memory_order_relaxed); }
  // CLOCK_MONOTONIC ns (process.hrtime's clock) at which the thread last saw the word change, before it reported:
  // with the handler's own clock reading this splits a wake-up's latency into futex/poll and the hop to JS.
  int64_t last_seen_ns() const { return last_seen_ns_.load(std::memory_order_relaxed); }

 private:
  void Run();
  bool Report();
  bool WriterGone(std::chrono::steady_clock::time_point* next_check);
  bool Spin(uint32_t seen);

  std::shared_ptr<Mapping> map_;  // keeps the futex word mapped for as long as the thread may touch it
  Notify notify_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;     // guarded by mu_
  bool exited_ = false;   // guarded by mu_: Run() returned
  bool pending_ = false;  // guarded by mu_: a report is queued or being handled; the thread is parked
  uint32_t seen_ = 0;     // guarded by mu_: futex word value already reported
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> spins_{0};
  std::atomic<uint64_t> spin_hits_{0};
  std::atomic<int64_t> last_seen_ns_{0};
  bool writer_gone_reported_ = false;  // waiter thread only
  int skip_spins_ = 0;                 // waiter thread only: arriving-window reports left that sleep without polling
};

}  // namespace nixbtm::ring
