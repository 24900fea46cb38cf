// See loop_wait.h.
#include "loop_wait.h"

#include <unistd.h>

#include <cerrno>
#include <utility>

namespace nixbtm {
namespace {

constexpr uint64_t kLivenessMs = 250;  // as the waiter thread's futex timeout: how often a silent writer is checked

}  // namespace

LoopWait::LoopWait(napi_env env, std::shared_ptr<ring::Mapping> map, std::unique_ptr<ring::FutexUring> uring)
    : env_(env), map_(std::move(map)), uring_(std::move(uring)) {}

LoopWait* LoopWait::Start(napi_env env, std::shared_ptr<ring::Mapping> map, napi_value callback, bool ref,
                          std::string* why) {
  std::unique_ptr<ring::FutexUring> uring = ring::FutexUring::Open(why);
  if (!uring) return nullptr;
  // Prove the wait works on this very word (a read-only shared mapping of another process's file) before relying
  // on it: a wait for a value the word does not hold must complete at once with EAGAIN.
  const std::atomic<uint32_t>* word = &map->header()->futex_word;
  const uint32_t now = word->load(std::memory_order_acquire);
  int32_t res = 0;
  if (!uring->SubmitWait(word, now + 1) || !uring->WaitOne(&res) || res != -EAGAIN) {
    *why = "io_uring FUTEX_WAIT on the ring failed (result " + std::to_string(res) + ")";
    return nullptr;
  }
  auto* self = new LoopWait(env, std::move(map), std::move(uring));
  const int fd = self->uring_->fd();
  return Begin(env, self, callback, ref, fd, why);
}

LoopWait* LoopWait::StartFifo(napi_env env, std::shared_ptr<ring::Mapping> map, napi_value callback, bool ref,
                              int fifo_fd, std::string* why) {
  auto* self = new LoopWait(env, std::move(map), nullptr);
  self->fifo_fd_ = fifo_fd;
  return Begin(env, self, callback, ref, fifo_fd, why);
}

LoopWait::~LoopWait() {
  if (fifo_fd_ >= 0) close(fifo_fd_);
}

LoopWait* LoopWait::Begin(napi_env env, LoopWait* self, napi_value callback, bool ref, int poll_fd, std::string* why) {
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) {
    *why = "no event loop";
    delete self;
    return nullptr;
  }
  const uint32_t now = self->map_->header()->futex_word.load(std::memory_order_acquire);
  napi_value name;
  napi_create_string_utf8(env, "nix-btm ring wait", NAPI_AUTO_LENGTH, &name);
  napi_create_reference(env, callback, 1, &self->callback_);
  napi_async_init(env, nullptr, name, &self->async_);
  uv_poll_init(loop, &self->poll_, poll_fd);
  uv_timer_init(loop, &self->timer_);
  self->poll_.data = self;
  self->timer_.data = self;
  self->open_handles_ = 2;
  uv_poll_start(&self->poll_, UV_READABLE, OnPoll);
  uv_timer_start(&self->timer_, OnTimer, kLivenessMs, kLivenessMs);
  self->SetRef(ref);
  self->seen_ = now;
  self->Arm();
  return self;
}

void LoopWait::SetRef(bool ref) {
  if (stopped_) return;
  for (uv_handle_t* h : {reinterpret_cast<uv_handle_t*>(&poll_), reinterpret_cast<uv_handle_t*>(&timer_)}) {
    if (ref) uv_ref(h);
    else uv_unref(h);
  }
}

void LoopWait::Stop() {
  if (stopped_) return;
  stopped_ = true;
  uv_poll_stop(&poll_);
  uv_timer_stop(&timer_);
  uring_.reset();  // after the poll stopped: closing the ring fd cancels the wait in flight
  napi_delete_reference(env_, callback_);
  napi_async_destroy(env_, async_);
  uv_close(reinterpret_cast<uv_handle_t*>(&poll_), OnClose);
  uv_close(reinterpret_cast<uv_handle_t*>(&timer_), OnClose);
}

void LoopWait::OnClose(uv_handle_t* handle) {
  auto* self = static_cast<LoopWait*>(handle->data);
  if (--self->open_handles_ == 0) delete self;
}

bool LoopWait::Submitted(bool ok) {
  if (ok) in_flight_ += 1;
  return ok;
}

// Sleeps (in the kernel, no thread) until the word moves away from seen_; completes at once if it already has.
// A FIFO needs nothing: the writer writes a byte after every burst, after the records.
void LoopWait::Arm() {
  if (uring_ && in_flight_ == 0) Submitted(uring_->SubmitWait(&map_->header()->futex_word, seen_));
}

void LoopWait::OnPoll(uv_poll_t* handle, int /*status*/, int /*events*/) {
  auto* self = static_cast<LoopWait*>(handle->data);
  if (self->stopped_) return;
  if (self->uring_) {
    self->in_flight_ -= self->uring_->Reap();
    if (self->in_flight_ < 0) self->in_flight_ = 0;
  } else {
    self->Drain();
  }
  self->last_seen_ns_ = static_cast<int64_t>(uv_hrtime());
  self->Handle();
}

// Every byte the writer wrote so far is read: the records they stood for are reported by the Handle() that
// follows. End of file: no writer holds the FIFO any more (its process is gone); the poll stops (it would report
// that at every turn) and the timer finds the writer dead.
void LoopWait::Drain() {
  char buf[512];
  for (bool first = true;; first = false) {
    const ssize_t n = read(fifo_fd_, buf, sizeof buf);
    if (n > 0 && first) fifo_wakes_ += 1;
    if (n > 0 && static_cast<size_t>(n) < sizeof buf) return;  // a pipe's read takes all there is: now empty
    if (n > 0) continue;
    if (n < 0 && errno == EINTR) continue;
    if (n == 0 && !fifo_eof_) {
      fifo_eof_ = true;
      uv_poll_stop(&poll_);
    }
    return;
  }
}

// A completion (a wake, a value that changed first, or our own no-op): report new records or a closed writer,
// then wait again, or queue another turn when records came while JS ran.
void LoopWait::Handle() {
  const ring::RingHeader* h = map_->header();
  const uint32_t word = h->futex_word.load(std::memory_order_acquire);
  const bool closed = h->writer_state.load(std::memory_order_acquire) != ring::kWriterOpen;
  if (word == seen_ && (!closed || writer_gone_reported_)) {
    Arm();  // spurious: another reader's stop, or a wake for a value already reported
    return;
  }
  if (closed) writer_gone_reported_ = true;  // a clean close also bumps the word: this report covers it
  seen_ = word;                              // everything published so far counts as seen
  Call();
  if (stopped_) return;
  if (h->futex_word.load(std::memory_order_acquire) != seen_) {
    if (uring_ && in_flight_ == 0) Submitted(uring_->SubmitNop());
    return;  // a FIFO: the writer's byte for those records makes it readable again
  }
  Arm();
}

void LoopWait::Call() {
  reported_since_tick_ = true;
  last_call_ns_ = static_cast<int64_t>(uv_hrtime());
  if (before_call_) before_call_();
  napi_handle_scope scope;
  if (napi_open_handle_scope(env_, &scope) != napi_ok) return;
  napi_value callback, recv, result;
  napi_get_reference_value(env_, callback_, &callback);
  napi_get_global(env_, &recv);  // make_callback needs an object as `this`
  // Through make_callback, as for any I/O callback: the microtasks and nextTicks it queued run after it, and an
  // exception it throws reaches 'uncaughtException' (the thread path does the same through its tsfn).
  if (callback != nullptr && napi_make_callback(env_, async_, recv, callback, 0, nullptr, &result) == napi_pending_exception) {
    napi_value error;
    if (napi_get_and_clear_last_exception(env_, &error) == napi_ok) napi_fatal_exception(env_, error);
  }
  napi_close_handle_scope(env_, scope);
}

// Every 250 ms: a ring idle since the last tick has its writer checked (a /proc read), as the thread does on its
// futex timeout; and a wait that could not be submitted is retried.
void LoopWait::OnTimer(uv_timer_t* handle) {
  auto* self = static_cast<LoopWait*>(handle->data);
  if (self->stopped_) return;
  const bool idle = !self->reported_since_tick_;
  self->reported_since_tick_ = false;
  if (self->in_flight_ == 0) {
    self->Handle();
    if (self->stopped_) return;
  }
  if (!idle || self->writer_gone_reported_) return;
  const ring::RingHeader& h = *self->map_->header();
  if (ring::WriterProcessAlive(h)) return;
  self->writer_gone_reported_ = true;
  self->Call();
}

}  // namespace nixbtm
