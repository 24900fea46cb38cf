// Shared-memory ring: one writer, any number of readers in other processes. No N-API here (see ring_addon.cc).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ring_layout.h"

namespace nixbtm::ring {

// Why an operation failed: errno (0 when not a system error) and a sentence for the user.
struct Error {
  int code = 0;
  std::string message;
};

// One mmap of a ring file; shared by a reader and its waiter thread so neither outlives the memory.
// The writer's mapping is read-write; every reader's is PROT_READ, so a reader cannot store into it at all.
class Mapping {
 public:
  Mapping(void* base, size_t bytes);
  ~Mapping();
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;

  RingHeader* header() const { return static_cast<RingHeader*>(base_); }
  uint8_t* data() const { return static_cast<uint8_t*>(base_) + kHeaderBytes; }

 private:
  void* base_;
  size_t bytes_;
};

struct CreateOptions {
  std::string path;
  uint64_t capacity = 0;
  uint32_t max_record_bytes = 0;
  uint32_t mode = 0640;  // never group- or other-writable (Create refuses): only the writer may store
  int64_t gid = -1;  // -1: keep the creating process's group
};

// One record's kind and payload length, as appendBatch takes them and read() reports them.
struct RecordMeta {
  uint32_t kind;
  uint32_t length;
};

enum class AppendStatus { kOk, kClosed, kTooLarge };

class Writer {
 public:
  // Builds the ring in a temporary file next to `path`, then renames it into place (readers never see half a header).
  static std::unique_ptr<Writer> Create(const CreateOptions& options, Error* error);
  ~Writer();

  // Publishes a record. Waking sleeping readers is left to Wake(), so a burst costs one FUTEX_WAKE: Append calls it
  // itself only every kWakeEvery records, and the caller calls it once the burst is over.
  AppendStatus Append(uint32_t kind, const uint8_t* payload, uint32_t length, uint64_t* seq);
  // Publishes `count` records whose payloads lie back to back in `data`, record i of kind metas[i].kind and
  // metas[i].length bytes, as one call: the same protocol as Append per record, one wake at the end (none when
  // `wake` is false: like Append, the caller then wakes once its burst is over). Checks every length before
  // publishing any, so a batch is all or nothing. `*first_seq` is the first record's sequence number.
  AppendStatus AppendBatch(const uint8_t* data, size_t data_bytes, const RecordMeta* metas, uint32_t count,
                           uint64_t* first_seq, bool wake = true);
  // FUTEX_WAKE for the records published since the last wake, if any (readers cannot say whether they sleep).
  void Wake();
  // A reader's wake FIFO (its write end, O_NONBLOCK; the writer owns it from here): every Wake() and Close() also
  // writes one byte to it, so the reader's event loop polls the FIFO itself (one hop, like a socket). A byte is
  // written at once. A FIFO whose reader is gone (EPIPE) is closed and dropped; a full one (EAGAIN) needs no more.
  void AddWakeFd(int fd);
  const std::vector<int>& wake_fds() const { return wake_fds_; }
  void Close();  // idempotent: marks the ring closed, wakes readers, unmaps
  bool closed() const { return !map_; }
  uint64_t next_seq() const { return seq_; }

 private:
  Writer(std::shared_ptr<Mapping> map, uint64_t capacity, uint32_t max_record_bytes);
  void AdvanceTail(uint64_t new_end);
  uint32_t PublishChunk(const uint8_t* payloads, const RecordMeta* metas, uint32_t available, size_t* offset);
  void CopyIn(uint64_t pos, const void* src, size_t n);
  void WakeFds();

  std::shared_ptr<Mapping> map_;
  uint64_t capacity_;
  uint32_t max_record_bytes_;
  // Private copies: the writer never trusts what readers with write access could scribble in the header.
  uint64_t write_pos_ = 0;
  uint64_t seq_ = 0;
  uint64_t tail_pos_ = 0;
  uint64_t tail_seq_ = 0;
  uint64_t woken_seq_ = 0;  // next_seq as of the last FUTEX_WAKE
  std::vector<int> wake_fds_;
};

// Records a burst may publish before Append wakes readers itself (bounds how late a sleeping reader learns of it).
constexpr uint64_t kWakeEvery = 1024;
// AppendBatch publishes its records in chunks of at most this many bytes (and records) at a time.
constexpr uint64_t kChunkBytes = 16 * 1024;
constexpr uint32_t kChunkRecords = 256;

struct ReadRequest {
  uint64_t from_seq;
  uint8_t* dest;  // payloads are packed here back to back
  size_t dest_bytes;
  RecordMeta* metas;
  uint32_t max_records;
};

struct ReadResult {
  uint64_t first_seq = 0;  // seq of metas[0]; records are consecutive
  uint32_t count = 0;
  uint64_t next_seq = 0;   // where the next read should start
  bool lost = false;       // records [lost_from, lost_to] were overwritten before this reader got them
  uint64_t lost_from = 0;
  uint64_t lost_to = 0;
};

enum class ReadStatus { kOk, kBeyondEnd, kCorrupt, kBusy };

// Counters a test can use to prove a path ran.
struct ReaderStats {
  uint64_t records = 0;             // records handed out
  uint64_t lost = 0;                // records reported lost
  uint64_t discarded_after_copy = 0;  // records copied, then found overwritten during the copy (torn) and dropped
};

class Reader {
 public:
  static std::unique_ptr<Reader> Open(const std::string& path, Error* error);

  ReadStatus Read(const ReadRequest& request, ReadResult* result);
  uint64_t NextSeq() const;
  bool OldestSeq(uint64_t* seq);
  bool WriterAlive() const;
  const std::shared_ptr<Mapping>& mapping() const { return map_; }
  uint64_t capacity() const { return capacity_; }
  uint32_t max_record_bytes() const { return max_record_bytes_; }
  uint32_t writer_pid() const { return map_->header()->writer_pid; }
  const ReaderStats& stats() const { return stats_; }

 private:
  Reader(std::shared_ptr<Mapping> map, uint64_t capacity, uint32_t max_record_bytes);
  void CopyOut(uint64_t pos, void* dst, size_t n) const;
  bool IntactFrom(uint64_t pos) const;
  bool Oldest(uint64_t* pos, uint64_t* seq);
  ReadStatus Locate(uint64_t from_seq, uint64_t* pos, ReadResult* result);
  bool NearEnd(uint64_t from_seq, uint64_t* pos);
  ReadStatus Walk(uint64_t start_pos, uint64_t start_seq, uint64_t to_seq, uint64_t* pos);
  ReadStatus DropTorn(const ReadRequest& request, uint64_t reserve, size_t bytes, ReadResult* result);

  std::shared_ptr<Mapping> map_;
  uint64_t capacity_;
  uint64_t mask_;
  uint32_t max_record_bytes_;
  bool cursor_valid_ = false;  // cursor_pos_ is where cursor_seq_ starts
  uint64_t cursor_seq_ = 0;
  uint64_t cursor_pos_ = 0;
  std::vector<uint64_t> positions_;  // logical position of each record of the current read
  ReaderStats stats_;
};

// True when the writer recorded in `header` has not closed and its process still runs (same start time, not a zombie).
bool WriterProcessAlive(const RingHeader& header);
// Field 22 of /proc/<pid>/stat (start time in clock ticks), 0 when unreadable.
uint64_t ProcessStartTicks(pid_t pid);

}  // namespace nixbtm::ring
