// The waiter thread: FUTEX_WAIT on the ring's futex word, one report per burst, liveness checks on timeouts.
#include "waiter.h"

#include <system_error>

#include "futex.h"

namespace nixbtm::ring {
namespace {

using Clock = std::chrono::steady_clock;
constexpr long kWaitMs = 250;  // futex timeout: how often a silent writer is checked for being alive
constexpr auto kLivenessInterval = std::chrono::milliseconds(kWaitMs);

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

void Waiter::Run() {
  RingHeader* h = map_->header();
  Clock::time_point next_check = Clock::now() + kLivenessInterval;
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
      if (!Report()) break;
      continue;
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
