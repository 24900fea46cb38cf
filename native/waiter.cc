// The waiter thread: FUTEX_WAIT on the ring's futex word, one report per burst, liveness checks on timeouts.
#include "waiter.h"

#include <sched.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <system_error>

#include "futex.h"
#include "slices.h"

namespace nixbtm::ring {
namespace {

using Clock = std::chrono::steady_clock;
constexpr long kWaitMs = 250;  // futex timeout: how often a silent writer is checked for being alive
constexpr auto kLivenessInterval = std::chrono::milliseconds(kWaitMs);
// Records are "arriving" when the last report is this recent; then the thread may poll the word for up to kSpin
// before sleeping, so a record that follows soon after costs no FUTEX_WAKE round trip (a thread wake-up, and on
// a VM an IPI). An idle ring never spins: the first record after a pause always goes through the futex.
constexpr auto kArrivingWindow = std::chrono::milliseconds(2);
constexpr auto kSpin = std::chrono::microseconds(50);
// Polling only pays when records come within kSpin of each other. Measured on a busy 2-core machine (bench ring,
// records 1-3 ms apart, every poll a miss), polling after every report tripled the wake-ups slower than 500 us: a
// polling thread that the scheduler preempts is runnable, not sleeping, so it gets no wake-up preemption when the
// record lands and sees it a whole time slice late, and it takes CPU from the JS thread that must run next. So a
// miss turns polling off for the next kSkipAfterMiss arriving-window reports; a hit keeps it on.
constexpr int kSkipAfterMiss = 63;

inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#endif
}

// process.hrtime()'s clock (libuv's uv_hrtime), so JS can subtract it from its own readings.
int64_t MonotonicNs() {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<int64_t>(t.tv_sec) * 1000000000 + t.tv_nsec;
}

}  // namespace

Waiter::Waiter(std::shared_ptr<Mapping> map, Notify notify) : map_(std::move(map)), notify_(std::move(notify)) {}

Waiter::~Waiter() { Stop(); }

bool Waiter::Start(Error* error) {
  seen_ = map_->header()->futex_word.load(std::memory_order_acquire);
  // std::thread reports a failed pthread_create by throwing: it must not cross into N-API and V8 frames, where it
  // ends in std::terminate (an abort of the whole process, reproduced under `ulimit -u`).
  try {
    thread_ = std::thread(&Waiter::Run, this);
  } catch (const std::system_error& e) {
    error->code = e.code().value();
    error->message = std::string("cannot start the ring waiter thread: ") + e.what();
    return false;
  }
  return true;
}

void Waiter::Stop() {
  std::unique_lock<std::mutex> lock(mu_);
  stop_ = true;
  stopping_.store(true, std::memory_order_seq_cst);
  cv_.notify_all();
  // The thread may enter FUTEX_WAIT just after a wake, so wake until it has left. Other waiters on this word
  // (other readers, other processes) see a spurious wake-up, recheck and sleep again.
  while (thread_.joinable() && !exited_) {
    FutexWakeAll(&map_->header()->futex_word);
    cv_.wait_for(lock, std::chrono::milliseconds(2));
  }
  lock.unlock();
  if (thread_.joinable()) thread_.join();
}

void Waiter::BeginHandling() {
  const uint32_t word = map_->header()->futex_word.load(std::memory_order_acquire);
  std::lock_guard<std::mutex> lock(mu_);
  seen_ = word;
}

bool Waiter::EndHandling() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (map_->header()->futex_word.load(std::memory_order_acquire) != seen_) return true;
    pending_ = false;
  }
  cv_.notify_all();
  return false;
}

bool Waiter::Report() {
  last_seen_ns_.store(MonotonicNs(), std::memory_order_relaxed);
  {
    std::lock_guard<std::mutex> lock(mu_);
    pending_ = true;
  }
  return notify_();
}

// True once when the writer closed or its process died; the process check runs at most every kLivenessInterval.
bool Waiter::WriterGone(Clock::time_point* next_check) {
  if (writer_gone_reported_) return false;
  const RingHeader& h = *map_->header();
  bool gone = h.writer_state.load(std::memory_order_acquire) != kWriterOpen;
  if (!gone && Clock::now() >= *next_check) {
    *next_check = Clock::now() + kLivenessInterval;
    gone = !WriterProcessAlive(h);
  }
  writer_gone_reported_ = gone;
  return gone;
}

// True when the word moved away from `seen` within kSpin (or a stop was asked for); polls only reads the word.
bool Waiter::Spin(uint32_t seen) {
  const Clock::time_point until = Clock::now() + kSpin;
  const std::atomic<uint32_t>& word = map_->header()->futex_word;
  for (int i = 0;; ++i) {
    if (word.load(std::memory_order_acquire) != seen || stopping_.load(std::memory_order_relaxed)) return true;
    CpuRelax();
    if ((i & 63) == 63 && Clock::now() >= until) return false;
  }
}

void Waiter::Run() {
  // It runs for microseconds per wake-up, so the shortest slice costs nothing (slices.h).
  AskForShortSlices(kMinSliceUs);
  RingHeader* h = map_->header();
  Clock::time_point next_check = Clock::now() + kLivenessInterval;
  // Long ago (not time_point::min(): now - min() overflows and would look recent).
  Clock::time_point last_report = Clock::now() - std::chrono::hours(1);
  for (;;) {
    uint32_t seen;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stop_ || !pending_; });
      if (stop_) break;
      seen = seen_;
    }
    // New records are reported at once; only an idle ring pays for the liveness check (a /proc read).
    const bool changed = h->futex_word.load(std::memory_order_acquire) != seen;
    if (changed || WriterGone(&next_check)) {
      // A clean close also bumps the word: that report covers it.
      if (h->writer_state.load(std::memory_order_acquire) != kWriterOpen) writer_gone_reported_ = true;
      last_report = Clock::now();
      if (!Report()) break;
      continue;
    }
    if (Clock::now() - last_report < kArrivingWindow && skip_spins_-- <= 0) {
      spins_.fetch_add(1, std::memory_order_relaxed);
      if (Spin(seen)) {
        spin_hits_.fetch_add(1, std::memory_order_relaxed);
        skip_spins_ = 0;
        continue;
      }
      skip_spins_ = kSkipAfterMiss;
    }
    // The kernel compares the word with `seen` atomically with going to sleep, and the writer wakes every sleeper
    // after publishing (once per burst), so a record published after the check above is never slept through.
    if (!stopping_.load(std::memory_order_seq_cst)) FutexWait(&h->futex_word, seen, kWaitMs);
  }
  std::lock_guard<std::mutex> lock(mu_);
  exited_ = true;
  cv_.notify_all();
}

}  // namespace nixbtm::ring
