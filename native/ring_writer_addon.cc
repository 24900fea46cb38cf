// N-API glue for the writer side and the layout constants. Arguments were validated by src/ring/ring.ts; the
// checks here only keep bad input from crashing the process.
#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstddef>
#include <cstring>

#include "addon.h"
#include "ring.h"

namespace nixbtm {
namespace {

using ring::RecordHeader;
using ring::RingHeader;

class RingWriterWrap : public Napi::ObjectWrap<RingWriterWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "RingWriter",
                       {InstanceMethod<&RingWriterWrap::Append>("append"),
                        InstanceMethod<&RingWriterWrap::AppendBatch>("appendBatch"),
                        InstanceMethod<&RingWriterWrap::Wake>("wake"),
                        InstanceMethod<&RingWriterWrap::AddWakeFd>("addWakeFd"),
                        InstanceMethod<&RingWriterWrap::WakeFds>("wakeFds"),
                        InstanceMethod<&RingWriterWrap::NextSeq>("nextSeq"),
                        InstanceMethod<&RingWriterWrap::Close>("close")});
  }

  // new RingWriter(path, capacityBytes, maxRecordBytes, mode, gid): gid -1 keeps the process's group.
  explicit RingWriterWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<RingWriterWrap>(info) {
    Napi::Env env = info.Env();
    if (info.Length() != 5 || !info[0].IsString() || !info[1].IsNumber() || !info[2].IsNumber() ||
        !info[3].IsNumber() || !info[4].IsNumber()) {
      Napi::TypeError::New(env, "RingWriter(path, capacity, maxRecordBytes, mode, gid): bad arguments")
          .ThrowAsJavaScriptException();
      return;
    }
    ring::CreateOptions options;
    options.path = info[0].As<Napi::String>().Utf8Value();
    options.capacity = static_cast<uint64_t>(info[1].As<Napi::Number>().Int64Value());
    options.max_record_bytes = info[2].As<Napi::Number>().Uint32Value();
    options.mode = info[3].As<Napi::Number>().Uint32Value();
    options.gid = info[4].As<Napi::Number>().Int64Value();
    const uint64_t cap = options.capacity;
    if (cap < ring::kMinCapacity || cap > ring::kMaxCapacity || (cap & (cap - 1)) != 0 ||
        options.max_record_bytes == 0 || options.max_record_bytes > cap / ring::kMaxRecordDivisor) {
      Napi::RangeError::New(env, "RingWriter: capacity or maxRecordBytes out of range").ThrowAsJavaScriptException();
      return;
    }
    ring::Error error;
    writer_ = ring::Writer::Create(options, &error);
    if (!writer_) ThrowError(env, error.message, error.code);
  }

 private:
  // append(kind, payload: Uint8Array) -> seq. The hot path: raw napi calls, one per argument.
  Napi::Value Append(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!writer_ || writer_->closed()) return ThrowError(env, "ring writer is closed");
    napi_typedarray_type type;
    size_t length = 0;
    void* data = nullptr;
    uint32_t kind = 0;
    if (info.Length() != 2 || napi_get_value_uint32(env, info[0], &kind) != napi_ok ||
        napi_get_typedarray_info(env, info[1], &type, &length, &data, nullptr, nullptr) != napi_ok ||
        type != napi_uint8_array) {
      Napi::TypeError::New(env, "append(kind, payload): bad arguments").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    uint64_t seq = 0;
    const auto status = length > UINT32_MAX ? ring::AppendStatus::kTooLarge
                                            : writer_->Append(kind, static_cast<const uint8_t*>(data),
                                                              static_cast<uint32_t>(length), &seq);
    if (status == ring::AppendStatus::kTooLarge) return ThrowError(env, "payload larger than maxRecordBytes");
    return Napi::Number::New(env, static_cast<double>(seq));
  }

  // appendBatch(data: Uint8Array, metas: Uint32Array [kind, length]*, count[, wake = true]) -> first seq: `count`
  // records whose payloads lie back to back in data, in one call (one JS->native crossing and one wake for the whole
  // batch; none when wake is false and the batch is small: the caller wakes once its burst is over).
  Napi::Value AppendBatch(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!writer_ || writer_->closed()) return ThrowError(env, "ring writer is closed");
    napi_typedarray_type data_type, metas_type;
    size_t data_bytes = 0, metas_count = 0;
    void* data = nullptr;
    void* metas = nullptr;
    uint32_t count = 0;
    bool wake = true;
    if ((info.Length() != 3 && info.Length() != 4) ||
        (info.Length() == 4 && napi_get_value_bool(env, info[3], &wake) != napi_ok) ||
        napi_get_typedarray_info(env, info[0], &data_type, &data_bytes, &data, nullptr, nullptr) != napi_ok ||
        napi_get_typedarray_info(env, info[1], &metas_type, &metas_count, &metas, nullptr, nullptr) != napi_ok ||
        napi_get_value_uint32(env, info[2], &count) != napi_ok || data_type != napi_uint8_array ||
        metas_type != napi_uint32_array || count > metas_count / 2) {
      Napi::TypeError::New(env, "appendBatch(data, metas, count[, wake]): bad arguments").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    uint64_t first = 0;
    const auto status = writer_->AppendBatch(static_cast<const uint8_t*>(data), data_bytes,
                                             static_cast<const ring::RecordMeta*>(metas), count, &first, wake);
    if (status == ring::AppendStatus::kTooLarge) {
      return ThrowError(env, "a payload is larger than maxRecordBytes, or the lengths exceed the data");
    }
    return Napi::Number::New(env, static_cast<double>(first));
  }

  // wake(): one FUTEX_WAKE for everything appended since the last one (src/ring/writer.ts calls it after a burst).
  Napi::Value Wake(const Napi::CallbackInfo& info) {
    if (writer_) writer_->Wake();
    return info.Env().Undefined();
  }

  // addWakeFd(fd) -> the writer's own duplicate of it: a reader's wake FIFO, opened for writing (O_NONBLOCK).
  Napi::Value AddWakeFd(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!writer_ || writer_->closed()) return ThrowError(env, "ring writer is closed");
    if (info.Length() != 1 || !info[0].IsNumber()) {
      Napi::TypeError::New(env, "addWakeFd(fd): bad arguments").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    const int fd = fcntl(info[0].As<Napi::Number>().Int32Value(), F_DUPFD_CLOEXEC, 0);
    if (fd < 0) return ThrowError(env, std::string("addWakeFd: ") + std::strerror(errno), errno);
    writer_->AddWakeFd(fd);
    return Napi::Number::New(env, fd);
  }

  // wakeFds() -> the duplicates addWakeFd() returned whose reader still holds its end (as of the last wake: one
  // whose reader left is closed and dropped there).
  Napi::Value WakeFds(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const std::vector<int> none;
    const std::vector<int>& fds = writer_ && !writer_->closed() ? writer_->wake_fds() : none;
    Napi::Array a = Napi::Array::New(env, fds.size());
    for (size_t i = 0; i < fds.size(); ++i) a.Set(static_cast<uint32_t>(i), Napi::Number::New(env, fds[i]));
    return a;
  }

  Napi::Value NextSeq(const Napi::CallbackInfo& info) {
    if (!writer_ || writer_->closed()) return ThrowError(info.Env(), "ring writer is closed");
    return Napi::Number::New(info.Env(), static_cast<double>(writer_->next_seq()));
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    if (writer_) writer_->Close();
    return info.Env().Undefined();
  }

  std::unique_ptr<ring::Writer> writer_;
};

void Put(Napi::Object object, const char* key, double value) {
  object.Set(key, Napi::Number::New(object.Env(), value));
}

}  // namespace

void InitRingWriter(Napi::Env env, Napi::Object exports) {
  exports.Set("RingWriter", RingWriterWrap::Define(env));
  // makeFifo(path, mode): mkfifo(3); throws with `code` (EEXIST, ...). Node's fs has no mkfifo.
  exports.Set("makeFifo", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
    Napi::Env env = info.Env();
    if (info.Length() != 2 || !info[0].IsString() || !info[1].IsNumber()) {
      Napi::TypeError::New(env, "makeFifo(path, mode): bad arguments").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    const std::string path = info[0].As<Napi::String>().Utf8Value();
    if (mkfifo(path.c_str(), static_cast<mode_t>(info[1].As<Napi::Number>().Uint32Value() & 0777)) != 0) {
      return ThrowError(env, "cannot make the FIFO " + path + ": " + std::strerror(errno), errno);
    }
    return env.Undefined();
  }));
}

// exports.layout: what this build compiled from native/ring_layout.h, for src/ring/layout.ts to be checked against.
void InitRingLayout(Napi::Env env, Napi::Object exports) {
  Napi::Object layout = Napi::Object::New(env);
  layout.Set("magic", Napi::BigInt::New(env, static_cast<uint64_t>(ring::kMagic)));
  Put(layout, "version", ring::kVersion);
  Put(layout, "headerBytes", ring::kHeaderBytes);
  Put(layout, "recordHeaderBytes", ring::kRecordHeaderBytes);
  Put(layout, "recordAlign", ring::kRecordAlign);
  Put(layout, "minCapacity", static_cast<double>(ring::kMinCapacity));
  Put(layout, "maxCapacity", static_cast<double>(ring::kMaxCapacity));
  Put(layout, "maxRecordDivisor", ring::kMaxRecordDivisor);
  Put(layout, "writerOpen", ring::kWriterOpen);
  Put(layout, "writerClosed", ring::kWriterClosed);
  Put(layout, "headerStructBytes", sizeof(RingHeader));
  Napi::Object offsets = Napi::Object::New(env);
  Put(offsets, "magic", offsetof(RingHeader, magic));
  Put(offsets, "version", offsetof(RingHeader, version));
  Put(offsets, "headerBytes", offsetof(RingHeader, header_bytes));
  Put(offsets, "capacity", offsetof(RingHeader, capacity));
  Put(offsets, "maxRecordBytes", offsetof(RingHeader, max_record_bytes));
  Put(offsets, "writerPid", offsetof(RingHeader, writer_pid));
  Put(offsets, "writerStartTicks", offsetof(RingHeader, writer_start_ticks));
  Put(offsets, "writerState", offsetof(RingHeader, writer_state));
  Put(offsets, "reservePos", offsetof(RingHeader, reserve_pos));
  Put(offsets, "writePos", offsetof(RingHeader, write_pos));
  Put(offsets, "nextSeq", offsetof(RingHeader, next_seq));
  Put(offsets, "tailPos", offsetof(RingHeader, tail_pos));
  Put(offsets, "lastPos", offsetof(RingHeader, last_pos));
  Put(offsets, "futexWord", offsetof(RingHeader, futex_word));
  Put(offsets, "recordSeq", offsetof(RecordHeader, seq));
  Put(offsets, "recordLength", offsetof(RecordHeader, length));
  Put(offsets, "recordKind", offsetof(RecordHeader, kind));
  layout.Set("offsets", offsets);
  exports.Set("layout", layout);
}

}  // namespace nixbtm
