// A ring wait run by the JS thread's own event loop: an io_uring FUTEX_WAIT on the ring's word whose ring fd libuv
// polls (uv_poll_t), so the writer's FUTEX_WAKE wakes the JS thread directly (one hop, like a socket's epoll),
// where the waiter thread (waiter.cc) hops twice (futex -> that thread -> uv_async -> JS). Same contract as the
// thread: one callback per burst, another turn (the loop runs in between) when records came while JS ran, and
// once when the writer closes or dies (checked on a 250 ms timer while idle). N-API and libuv; JS thread only.
#pragma once

#include <node_api.h>
#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "ring.h"
#include "uring.h"

namespace nixbtm {

class LoopWait {
 public:
  // nullptr and `why` when io_uring (or its FUTEX_WAIT on this mapping) cannot be used: the caller falls back.
  static LoopWait* Start(napi_env env, std::shared_ptr<ring::Mapping> map, napi_value callback, bool ref,
                         std::string* why);
  // The same wait on a wake FIFO the writer writes a byte to after each burst (RingWriter.offerWakeFifo): libuv
  // polls its read end (`fifo_fd`, O_NONBLOCK, owned from here), as it would a socket. No io_uring, no futex.
  static LoopWait* StartFifo(napi_env env, std::shared_ptr<ring::Mapping> map, napi_value callback, bool ref,
                             int fifo_fd, std::string* why);
  // Idempotent. Stops the handles at once; the object deletes itself when libuv has closed them.
  void Stop();
  void SetRef(bool ref);
  // Runs just before each callback, on the JS thread (the reader's prefetch).
  void SetBeforeCall(std::function<void()> f) { before_call_ = std::move(f); }
  int64_t last_seen_ns() const { return last_seen_ns_; }
  int64_t last_call_ns() const { return last_call_ns_; }
  // Polls of the wake FIFO that found the writer's bytes (0 for io_uring): the FIFO, not the timer, woke us.
  uint64_t fifo_wakes() const { return fifo_wakes_; }

 private:
  LoopWait(napi_env env, std::shared_ptr<ring::Mapping> map, std::unique_ptr<ring::FutexUring> uring);
  ~LoopWait();
  static LoopWait* Begin(napi_env env, LoopWait* self, napi_value callback, bool ref, int poll_fd, std::string* why);
  void Drain();
  static void OnPoll(uv_poll_t* handle, int status, int events);
  static void OnTimer(uv_timer_t* handle);
  static void OnClose(uv_handle_t* handle);
  void Handle();
  void Arm();
  void Call();
  bool Submitted(bool ok);

  napi_env env_;
  std::shared_ptr<ring::Mapping> map_;  // keeps the futex word mapped while a wait may be in flight
  std::unique_ptr<ring::FutexUring> uring_;  // null when waiting on a FIFO
  int fifo_fd_ = -1;
  bool fifo_eof_ = false;
  uint64_t fifo_wakes_ = 0;  // the FIFO has no writer left (the writing process is gone): polled no more
  napi_ref callback_ = nullptr;
  std::function<void()> before_call_;
  napi_async_context async_ = nullptr;
  uv_poll_t poll_;
  uv_timer_t timer_;
  int open_handles_ = 0;
  int in_flight_ = 0;     // requests submitted and not yet reaped (at most one wait or one no-op)
  bool stopped_ = false;
  uint32_t seen_ = 0;     // futex word value already reported
  bool reported_since_tick_ = false;
  bool writer_gone_reported_ = false;
  int64_t last_seen_ns_ = 0;
  int64_t last_call_ns_ = 0;
};

}  // namespace nixbtm
