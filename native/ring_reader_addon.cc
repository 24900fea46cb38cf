// N-API glue for the reader side. The wait runs in the JS thread's event loop through io_uring (LoopWait) where the
// kernel allows it, else on a ring::Waiter thread (never the libuv pool) that reaches JS only through a
// ThreadSafeFunction. Arguments were validated by src/ring/ring.ts.
#include <fcntl.h>
#include <uv.h>

#include <cerrno>
#include <cstring>

#include <memory>

#include "addon.h"
#include "block_reader.h"
#include "loop_wait.h"
#include "ring.h"
#include "waiter.h"

namespace nixbtm {
namespace {

struct WaitState;
void CallJs(Napi::Env env, Napi::Function callback, WaitState* state, void* data);
using WaitTsfn = Napi::TypedThreadSafeFunction<WaitState, void, CallJs>;

// Owned by the tsfn: deleted by its finalizer, after the last queued report has been dropped or delivered.
struct WaitState {
  WaitTsfn tsfn;
  std::unique_ptr<ring::Waiter> waiter;
  bool active = true;  // JS thread only: false once stopped, so a report still queued is dropped
  int64_t last_call_ns = 0;  // JS thread only: hrtime ns at which the last report reached CallJs (stats())
};

void CallJs(Napi::Env env, Napi::Function callback, WaitState* state, void* /*data*/) {
  if (env == nullptr || !state->active) return;  // environment torn down, or stopped after the report was queued
  state->last_call_ns = static_cast<int64_t>(uv_hrtime());
  state->waiter->BeginHandling();
  // Raw call: while a worker is torn down, queued reports still arrive but JS cannot run, and node-addon-api's
  // Call() would turn that failure into a fatal error. A JS exception stays pending and is reported as uncaught.
  napi_value ignored;
  napi_call_function(env, env.Undefined(), callback, 0, nullptr, &ignored);
  // More records came while JS ran: queue another turn from here (the event loop runs in between) instead of
  // waking the waiter thread, which stays parked until JS is idle.
  if (state->active && state->waiter->EndHandling()) state->tsfn.NonBlockingCall();
}

void FinalizeWait(Napi::Env /*env*/, void* /*data*/, WaitState* state) { delete state; }

enum ReadCode { kReadOk = 0, kReadBeyondEnd = 1, kReadCorrupt = 2, kReadBusy = 3 };

class RingReaderWrap : public Napi::ObjectWrap<RingReaderWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "RingReader",
                       {InstanceMethod<&RingReaderWrap::Read>("read"),
                        InstanceMethod<&RingReaderWrap::NextSeq>("nextSeq"),
                        InstanceMethod<&RingReaderWrap::OldestSeq>("oldestSeq"),
                        InstanceMethod<&RingReaderWrap::WriterAlive>("writerAlive"),
                        InstanceMethod<&RingReaderWrap::Info>("info"),
                        InstanceMethod<&RingReaderWrap::Stats>("stats"),
                        InstanceMethod<&RingReaderWrap::StartWait>("startWait"),
                        InstanceMethod<&RingReaderWrap::SetPrefetch>("setPrefetch"),
                        InstanceMethod<&RingReaderWrap::StopWait>("stopWait"),
                        InstanceMethod<&RingReaderWrap::Ref>("ref"),
                        InstanceMethod<&RingReaderWrap::Unref>("unref"),
                        InstanceMethod<&RingReaderWrap::Close>("close")});
  }

  explicit RingReaderWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<RingReaderWrap>(info), env_(info.Env()) {
    if (info.Length() != 1 || !info[0].IsString()) {
      Napi::TypeError::New(info.Env(), "RingReader(path): bad arguments").ThrowAsJavaScriptException();
      return;
    }
    ring::Error error;
    reader_ = ring::Reader::Open(info[0].As<Napi::String>().Utf8Value(), &error);
    if (!reader_) {
      ThrowError(info.Env(), error.message, error.code);
      return;
    }
    blocks_ = std::make_unique<ring::BlockReader>(reader_.get());
  }

  ~RingReaderWrap() override {
    Stop(false);
    DropPrefetch();
  }

 private:
  // read(fromSeq, dest: Uint8Array, metas: Uint32Array [kind, length]*, maxRecords, out: Float64Array(5)
  //      [, offsets: Uint32Array]) -> ReadCode; out = [count, firstSeq, nextSeq, lostFrom (-1: none), lostTo];
  // offsets (readBlock) gets each record's payload offset in dest, and one more entry: the end of the last.
  Napi::Value Read(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!reader_) return ThrowError(env, "ring reader is closed");
    // Each typed array is inspected once (one napi_get_typedarray_info): this runs on every wake-up, on a cold
    // cache, and node-addon-api's IsTypedArray + type + As<> asked V8 two or three times per argument.
    View dest, metas, out, offsets;
    const bool with_offsets = info.Length() == 6;
    if ((info.Length() != 5 && !with_offsets) || !info[0].IsNumber() || !info[3].IsNumber() ||
        !dest.Of(env, info[1], napi_uint8_array) || !metas.Of(env, info[2], napi_uint32_array) ||
        !out.Of(env, info[4], napi_float64_array) || (with_offsets && !offsets.Of(env, info[5], napi_uint32_array))) {
      return Type(env, "read(fromSeq, dest, metas, maxRecords, out[, offsets]): bad arguments");
    }
    const uint32_t max_records = info[3].As<Napi::Number>().Uint32Value();
    if (out.length < 5 || metas.length < 2ull * max_records || max_records == 0 ||
        dest.length < reader_->max_record_bytes() || (with_offsets && offsets.length < max_records + 1ull)) {
      return Type(env, "read: buffers too small");
    }
    const ring::ReadStatus status =
        blocks_->Read(static_cast<uint64_t>(info[0].As<Napi::Number>().Int64Value()), static_cast<uint8_t*>(dest.data),
                 dest.length, static_cast<ring::RecordMeta*>(metas.data), max_records, static_cast<double*>(out.data),
                 out.length, with_offsets ? static_cast<uint32_t*>(offsets.data) : nullptr);
    if (status != ring::ReadStatus::kOk) return Code(env, status);
    return Napi::Number::New(env, kReadOk);
  }

  // setPrefetch(dest, metas, offsets, out, maxRecords): the buffers readBlock() uses. Before each wake-up's
  // callback, the event-loop wait reads the records after the last read into them (out[5] = that fromSeq), so
  // the callback's readBlock() at that sequence costs no second call into the addon on a cold wake-up.
  Napi::Value SetPrefetch(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    View dest, metas, offsets, out;
    if (info.Length() != 5 || !dest.Of(env, info[0], napi_uint8_array) || !metas.Of(env, info[1], napi_uint32_array) ||
        !offsets.Of(env, info[2], napi_uint32_array) || !out.Of(env, info[3], napi_float64_array) || !info[4].IsNumber()) {
      return Type(env, "setPrefetch(dest, metas, offsets, out, maxRecords): bad arguments");
    }
    const uint32_t max = info[4].As<Napi::Number>().Uint32Value();
    if (!reader_ || out.length < 6 || max == 0 || metas.length < 2ull * max || offsets.length < max + 1ull ||
        dest.length < reader_->max_record_bytes()) {
      return Type(env, "setPrefetch: buffers too small");
    }
    DropPrefetch();
    // Held, so the memory stays valid for as long as it is used.
    for (int i = 0; i < 4; ++i) napi_create_reference(env, info[i], 1, &prefetch_refs_[i]);
    blocks_->SetBuffers(static_cast<uint8_t*>(dest.data), dest.length, static_cast<ring::RecordMeta*>(metas.data),
                        static_cast<uint32_t*>(offsets.data), static_cast<double*>(out.data), max);
    return env.Undefined();
  }

  Napi::Value NextSeq(const Napi::CallbackInfo& info) {
    if (!reader_) return ThrowError(info.Env(), "ring reader is closed");
    return Napi::Number::New(info.Env(), static_cast<double>(reader_->NextSeq()));
  }

  // -> seq of the oldest record still in the ring, or -1 when the writer kept overwriting it while we looked.
  Napi::Value OldestSeq(const Napi::CallbackInfo& info) {
    if (!reader_) return ThrowError(info.Env(), "ring reader is closed");
    uint64_t seq = 0;
    return Napi::Number::New(info.Env(), reader_->OldestSeq(&seq) ? static_cast<double>(seq) : -1);
  }

  Napi::Value WriterAlive(const Napi::CallbackInfo& info) {
    if (!reader_) return ThrowError(info.Env(), "ring reader is closed");
    return Napi::Boolean::New(info.Env(), reader_->WriterAlive());
  }

  Napi::Value Info(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!reader_) return ThrowError(env, "ring reader is closed");
    Napi::Object o = Napi::Object::New(env);
    o.Set("capacityBytes", Napi::Number::New(env, static_cast<double>(reader_->capacity())));
    o.Set("maxRecordBytes", Napi::Number::New(env, reader_->max_record_bytes()));
    o.Set("writerPid", Napi::Number::New(env, reader_->writer_pid()));
    return o;
  }

  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!reader_) return ThrowError(env, "ring reader is closed");
    const ring::ReaderStats s = blocks_->HandedOut();
    Napi::Object o = Napi::Object::New(env);
    o.Set("records", Napi::Number::New(env, static_cast<double>(s.records)));
    o.Set("lost", Napi::Number::New(env, static_cast<double>(s.lost)));
    o.Set("discardedAfterCopy", Napi::Number::New(env, static_cast<double>(s.discarded_after_copy)));
    // Of the current wait: polls before sleeping, and polls that caught a record without a futex wake-up.
    const ring::Waiter* waiter = wait_ ? wait_->waiter.get() : nullptr;
    o.Set("spins", Napi::Number::New(env, waiter ? static_cast<double>(waiter->spins()) : 0));
    o.Set("spinHits", Napi::Number::New(env, waiter ? static_cast<double>(waiter->spin_hits()) : 0));
    o.Set("fifoWakes", Napi::Number::New(env, loop_ ? static_cast<double>(loop_->fifo_wakes()) : 0));
    // Of the last report: when the thread saw the change, and when the JS thread began handling it (hrtime ns).
    const int64_t seen = loop_ ? loop_->last_seen_ns() : waiter ? waiter->last_seen_ns() : 0;
    const int64_t call = loop_ ? loop_->last_call_ns() : wait_ ? wait_->last_call_ns : 0;
    o.Set("lastSeenNs", Napi::Number::New(env, static_cast<double>(seen)));
    o.Set("lastCallNs", Napi::Number::New(env, static_cast<double>(call)));
    // How the current (or last) wait runs, and why not through io_uring when it does not.
    o.Set("wait", Napi::String::New(env, wait_path_));
    o.Set("waitFallback", Napi::String::New(env, wait_fallback_));
    return o;
  }

  // startWait(callback, mode): callback() runs on the JS thread once per burst of new records, and once if the
  // writer dies. mode "auto": io_uring in the event loop when it works here, else the waiter thread; "thread": the
  // thread; "io_uring": io_uring or an error.
  Napi::Value StartWait(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!reader_) return ThrowError(env, "ring reader is closed");
    const bool with_fd = info.Length() == 3;
    if ((info.Length() != 2 && !with_fd) || !info[0].IsFunction() || !info[1].IsString() ||
        (with_fd && !info[2].IsNumber())) {
      return Type(env, "startWait(callback, mode[, fifoFd]): bad arguments");
    }
    if (wait_ || loop_) return ThrowError(env, "already waiting");
    const std::string mode = info[1].As<Napi::String>().Utf8Value();
    if (mode == "fifo") {
      if (!with_fd) return Type(env, "startWait(callback, 'fifo', fifoFd): no fd");
      // Our own descriptor: the caller closes its own whenever it likes.
      const int fd = fcntl(info[2].As<Napi::Number>().Int32Value(), F_DUPFD_CLOEXEC, 0);
      if (fd < 0) return ThrowError(env, std::string("cannot wait on the wake FIFO: ") + std::strerror(errno), errno);
      std::string why;
      loop_ = LoopWait::StartFifo(env, reader_->mapping(), info[0], ref_, fd, &why);
      if (loop_) loop_->SetBeforeCall([this] { if (blocks_) blocks_->Prefetch(); });
      if (!loop_) return ThrowError(env, "cannot wait on the wake FIFO: " + why);
      wait_fallback_ = "";
      wait_path_ = "fifo";
      napi_add_env_cleanup_hook(env, CleanupHook, this);
      GetAddonData(env)->active_waiters += 1;
      return env.Undefined();
    }
    if (mode != "thread") {
      std::string why;
      loop_ = LoopWait::Start(env, reader_->mapping(), info[0], ref_, &why);
      if (loop_) loop_->SetBeforeCall([this] { if (blocks_) blocks_->Prefetch(); });
      if (!loop_ && mode == "io_uring") return ThrowError(env, "cannot wait through io_uring: " + why);
      wait_fallback_ = loop_ ? "" : why;
    } else {
      wait_fallback_ = "NIX_BTM_RING_WAIT=thread";
    }
    if (loop_) {
      wait_path_ = "io_uring";
    } else if (!StartThread(env, info[0].As<Napi::Function>())) {
      return env.Undefined();
    }
    // Added after the tsfn was created, so it runs before the tsfn's own teardown (hooks run last-in, first-out).
    napi_add_env_cleanup_hook(env, CleanupHook, this);
    GetAddonData(env)->active_waiters += 1;
    return env.Undefined();
  }

  // The fallback: a ring::Waiter thread reporting through a ThreadSafeFunction. False with a JS exception pending.
  bool StartThread(Napi::Env env, Napi::Function callback) {
    auto* state = new WaitState();
    state->tsfn = WaitTsfn::New(env, callback, "nix-btm ring wait", 0, 1, state, FinalizeWait,
                                static_cast<void*>(nullptr));
    if (env.IsExceptionPending()) {
      delete state;
      return false;
    }
    if (!ref_) state->tsfn.Unref(env);
    state->waiter = std::make_unique<ring::Waiter>(reader_->mapping(),
                                                   [state] { return state->tsfn.NonBlockingCall() == napi_ok; });
    ring::Error error;
    if (!state->waiter->Start(&error)) {
      state->active = false;
      state->tsfn.Release();  // its finalizer deletes state (and the never-started waiter)
      ThrowError(env, error.message, error.code);
      return false;
    }
    wait_ = state;
    wait_path_ = "thread";
    return true;
  }

  Napi::Value StopWait(const Napi::CallbackInfo& info) {
    Stop(false);
    return info.Env().Undefined();
  }

  // ref()/unref(): whether a pending wait keeps the event loop alive (default: it does not, like an unref'd timer).
  Napi::Value Ref(const Napi::CallbackInfo& info) {
    ref_ = true;
    if (wait_) wait_->tsfn.Ref(info.Env());
    if (loop_) loop_->SetRef(true);
    return info.Env().Undefined();
  }

  Napi::Value Unref(const Napi::CallbackInfo& info) {
    ref_ = false;
    if (wait_) wait_->tsfn.Unref(info.Env());
    if (loop_) loop_->SetRef(false);
    return info.Env().Undefined();
  }

  void DropPrefetch() {
    if (blocks_) blocks_->ClearBuffers();
    for (napi_ref& r : prefetch_refs_) {
      if (r != nullptr) napi_delete_reference(env_, r);
      r = nullptr;
    }
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Stop(false);
    DropPrefetch();
    blocks_.reset();
    reader_.reset();
    return info.Env().Undefined();
  }

  // Stops and joins the waiter thread; JS thread only. Also runs from the env cleanup hook (worker exit, teardown).
  void Stop(bool from_cleanup_hook) {
    if (!wait_ && !loop_) return;
    if (loop_) {
      loop_->Stop();  // deletes itself once libuv has closed its handles
      loop_ = nullptr;
    } else {
      WaitState* state = wait_;
      wait_ = nullptr;
      state->active = false;
      state->waiter->Stop();
      state->tsfn.Release();
    }
    if (!from_cleanup_hook) napi_remove_env_cleanup_hook(env_, CleanupHook, this);
    if (AddonData* data = GetAddonData(Napi::Env(env_))) data->active_waiters -= 1;
  }

  static void CleanupHook(void* arg) { static_cast<RingReaderWrap*>(arg)->Stop(true); }

  // A typed array argument: its element count and data, or false when it is not a typed array of `type`.
  struct View {
    void* data = nullptr;
    size_t length = 0;
    bool Of(napi_env env, napi_value value, napi_typedarray_type type) {
      bool is = false;
      napi_typedarray_type actual;
      napi_value buffer;
      size_t offset;
      return napi_is_typedarray(env, value, &is) == napi_ok && is &&
             napi_get_typedarray_info(env, value, &actual, &length, &data, &buffer, &offset) == napi_ok &&
             actual == type;
    }
  };

  static Napi::Value Type(Napi::Env env, const char* message) {
    Napi::TypeError::New(env, message).ThrowAsJavaScriptException();
    return env.Undefined();
  }

  static Napi::Value Code(Napi::Env env, ring::ReadStatus status) {
    const int code = status == ring::ReadStatus::kBeyondEnd ? kReadBeyondEnd
                     : status == ring::ReadStatus::kCorrupt ? kReadCorrupt
                                                            : kReadBusy;
    return Napi::Number::New(env, code);
  }

  napi_env env_;
  std::unique_ptr<ring::Reader> reader_;
  std::unique_ptr<ring::BlockReader> blocks_;  // reads (and prefetches) into readBlock()'s buffers
  napi_ref prefetch_refs_[4] = {nullptr, nullptr, nullptr, nullptr};  // those buffers, held while prefetched into
  WaitState* wait_ = nullptr;
  LoopWait* loop_ = nullptr;
  std::string wait_path_ = "none";
  std::string wait_fallback_;
  bool ref_ = false;
};

}  // namespace

void InitRingReader(Napi::Env env, Napi::Object exports) {
  exports.Set("RingReader", RingReaderWrap::Define(env));
  exports.Set("activeWaiters", Napi::Function::New(env, [](const Napi::CallbackInfo& info) {
                return Napi::Number::New(info.Env(), GetAddonData(info.Env())->active_waiters);
              }));
}

}  // namespace nixbtm
