// The reader side: attaching to a ring, finding a sequence, copying records out without ever handing out a torn one.
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "ring.h"

namespace nixbtm::ring {
namespace {

constexpr int kMaxAttempts = 64;  // retries when the writer overwrites what we are looking at; then kBusy

std::unique_ptr<Reader> Fail(Error* error, int code, const std::string& message) {
  error->code = code;
  error->message = code != 0 ? message + ": " + std::strerror(code) : message;
  return nullptr;
}

// The immutable prefix of RingHeader, read with pread before anything is mapped.
struct Identity {
  uint64_t magic;
  uint32_t version;
  uint32_t header_bytes;
  uint64_t capacity;
  uint32_t max_record_bytes;
};
static_assert(offsetof(Identity, capacity) == offsetof(RingHeader, capacity), "Identity mirrors RingHeader");
static_assert(offsetof(Identity, max_record_bytes) == offsetof(RingHeader, max_record_bytes), "Identity mirrors");

std::string Validate(const Identity& id, off_t file_bytes) {
  if (id.magic != kMagic) return "is not a nix-btm ring (bad magic)";
  if (id.version != kVersion) {
    return "has ring layout version " + std::to_string(id.version) + ", this build reads version " +
           std::to_string(kVersion);
  }
  const uint64_t cap = id.capacity;
  if (id.header_bytes != kHeaderBytes || cap < kMinCapacity || cap > kMaxCapacity || (cap & (cap - 1)) != 0 ||
      id.max_record_bytes == 0 || id.max_record_bytes > cap / kMaxRecordDivisor) {
    return "has an invalid ring header";
  }
  if (static_cast<uint64_t>(file_bytes) != kHeaderBytes + cap) return "has the wrong size for its ring header";
  return "";
}

}  // namespace

std::unique_ptr<Reader> Reader::Open(const std::string& path, Error* error) {
  // Read-only, always: a reader never stores into the ring (futex waits only read the word), so giving the file
  // to a group lets its members read events, never forge them or disturb the writer and the other readers.
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0) return Fail(error, errno, "cannot open " + path);
  struct stat st;
  Identity id = {};
  const bool regular = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
  const bool readable = regular && pread(fd, &id, sizeof id, 0) == static_cast<ssize_t>(sizeof id);
  std::string invalid = !regular ? "is not a regular file" : readable ? Validate(id, st.st_size) : "is not a nix-btm ring (too short)";
  // Records from a file others may write prove nothing: refuse it rather than show what anyone could have put there.
  if (invalid.empty() && (st.st_mode & 0022) != 0) invalid = "is writable by group or others: refusing it";
  if (!invalid.empty()) {
    close(fd);
    return Fail(error, 0, path + " " + invalid);
  }
  const size_t bytes = kHeaderBytes + id.capacity;
  void* base = mmap(nullptr, bytes, PROT_READ, MAP_SHARED, fd, 0);
  const int map_errno = errno;
  close(fd);
  if (base == MAP_FAILED) return Fail(error, map_errno, "cannot map " + path);
  auto map = std::make_shared<Mapping>(base, bytes);
  return std::unique_ptr<Reader>(new Reader(std::move(map), id.capacity, id.max_record_bytes));
}

Reader::Reader(std::shared_ptr<Mapping> map, uint64_t capacity, uint32_t max_record_bytes)
    : map_(std::move(map)), capacity_(capacity), mask_(capacity - 1), max_record_bytes_(max_record_bytes) {}

void Reader::CopyOut(uint64_t pos, void* dst, size_t n) const {
  const size_t offset = pos & mask_;
  const size_t first = std::min<size_t>(n, capacity_ - offset);
  std::memcpy(dst, map_->data() + offset, first);
  if (first < n) std::memcpy(static_cast<uint8_t*>(dst) + first, map_->data(), n - first);
}

// Seqlock check after a copy: true when nothing at logical positions >= pos has been claimed for overwriting.
bool Reader::IntactFrom(uint64_t pos) const {
  std::atomic_thread_fence(std::memory_order_acquire);
  return map_->header()->reserve_pos.load(std::memory_order_acquire) <= pos + capacity_;
}

uint64_t Reader::NextSeq() const { return map_->header()->next_seq.load(std::memory_order_acquire); }

bool Reader::WriterAlive() const { return WriterProcessAlive(*map_->header()); }

bool Reader::OldestSeq(uint64_t* seq) {
  uint64_t pos;
  return Oldest(&pos, seq);
}

bool Reader::Oldest(uint64_t* pos, uint64_t* seq) {
  RingHeader* h = map_->header();
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    if (h->next_seq.load(std::memory_order_acquire) == 0) {
      *pos = 0;
      *seq = 0;
      return true;
    }
    const uint64_t tail = h->tail_pos.load(std::memory_order_acquire);
    if (tail >= h->write_pos.load(std::memory_order_acquire)) continue;  // writer mid-reset; look again
    RecordHeader r;
    CopyOut(tail, &r, sizeof r);
    if (!IntactFrom(tail)) continue;
    // Below write_pos and intact, so published: a header that is not one the writer wrote means a damaged file.
    if (r.seq >= h->next_seq.load(std::memory_order_acquire) || r.length > max_record_bytes_) return false;
    *pos = tail;
    *seq = r.seq;
    return true;
  }
  return false;
}

// Follows record lengths from (p, s) to sequence `to`; kBusy if the writer overwrote the path meanwhile.
ReadStatus Reader::Walk(uint64_t p, uint64_t s, uint64_t to, uint64_t* pos) {
  const uint64_t start = p;
  const uint64_t write = map_->header()->write_pos.load(std::memory_order_acquire);
  while (s < to) {
    RecordHeader r;
    CopyOut(p, &r, sizeof r);
    if (p >= write || r.seq != s || r.length > max_record_bytes_) {
      return IntactFrom(start) ? ReadStatus::kCorrupt : ReadStatus::kBusy;
    }
    p += RecordBytes(r.length);
    ++s;
  }
  if (!IntactFrom(start)) return ReadStatus::kBusy;
  *pos = p;
  return ReadStatus::kOk;
}

// The live edge (or the newest record) from last_pos, without walking from the tail: how a fresh reader starts at
// a snapshot's sequence, even when older parts of the ring were damaged.
bool Reader::NearEnd(uint64_t from, uint64_t* pos) {
  RingHeader* h = map_->header();
  const uint64_t next = h->next_seq.load(std::memory_order_acquire);
  if (next == 0) {
    *pos = 0;
    return from == 0;
  }
  if (from + 1 < next) return false;
  // last_pos is stored before next_seq: it is the newest record's position, or the one after (being published).
  const uint64_t last = h->last_pos.load(std::memory_order_acquire);
  RecordHeader r;
  CopyOut(last, &r, sizeof r);
  if (!IntactFrom(last) || r.length > max_record_bytes_) return false;
  if (r.seq == from) {
    *pos = last;
    return true;
  }
  if (r.seq + 1 != from) return false;
  *pos = last + RecordBytes(r.length);
  return true;
}

ReadStatus Reader::Locate(uint64_t from, uint64_t* pos, ReadResult* result) {
  result->first_seq = from;
  if (cursor_valid_ && from == cursor_seq_) {
    *pos = cursor_pos_;
    return ReadStatus::kOk;
  }
  if (from > NextSeq()) return ReadStatus::kBeyondEnd;
  if (NearEnd(from, pos)) return ReadStatus::kOk;
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    uint64_t oldest_pos, oldest_seq;
    if (!Oldest(&oldest_pos, &oldest_seq)) return ReadStatus::kBusy;
    if (from < oldest_seq) {
      *result = ReadResult{oldest_seq, 0, 0, true, from, oldest_seq - 1};
      *pos = oldest_pos;
      return ReadStatus::kOk;
    }
    const bool use_cursor = cursor_valid_ && cursor_seq_ >= oldest_seq && cursor_seq_ <= from;
    const ReadStatus status = use_cursor ? Walk(cursor_pos_, cursor_seq_, from, pos)
                                         : Walk(oldest_pos, oldest_seq, from, pos);
    if (status != ReadStatus::kBusy) return status;
  }
  return ReadStatus::kBusy;
}

ReadStatus Reader::Read(const ReadRequest& request, ReadResult* result) {
  *result = ReadResult{};
  uint64_t start;
  const ReadStatus located = Locate(request.from_seq, &start, result);
  if (located != ReadStatus::kOk) return located;
  if (positions_.size() < request.max_records) positions_.resize(request.max_records);
  const uint64_t write = map_->header()->write_pos.load(std::memory_order_acquire);
  uint64_t p = start, s = result->first_seq;
  size_t bytes = 0;
  uint32_t n = 0;
  bool bad_header = false;
  const uint8_t* data = map_->data();
  while (n < request.max_records && p < write) {
    RecordHeader r;
    const size_t at = p & mask_;
    const bool whole = at + sizeof r <= capacity_;
    if (whole) std::memcpy(&r, data + at, sizeof r);  // fixed size: two loads, no call
    else CopyOut(p, &r, sizeof r);
    if (r.seq != s || r.length > max_record_bytes_) {
      bad_header = true;  // overwritten under us, or corrupt: the reserve check below tells which
      break;
    }
    if (bytes + r.length > request.dest_bytes) break;
    if (whole && at + sizeof r + r.length <= capacity_) std::memcpy(request.dest + bytes, data + at + sizeof r, r.length);
    else CopyOut(p + sizeof r, request.dest + bytes, r.length);
    request.metas[n] = {r.kind, r.length};
    positions_[n] = p;
    bytes += r.length;
    p += RecordBytes(r.length);
    ++s;
    ++n;
  }
  std::atomic_thread_fence(std::memory_order_acquire);
  const uint64_t reserve = map_->header()->reserve_pos.load(std::memory_order_acquire);
  // A bad header is corruption only when everything this read followed was intact: a torn record's length (its
  // first bytes overwritten by a newer record, the rest stale) leads to a position where no header ever was. Found
  // by tests/ring/block.test.ts: a single-process reader lapped by exactly that record got RingCorruptError.
  if (bad_header && reserve <= start + capacity_) return ReadStatus::kCorrupt;
  result->count = n;
  if (reserve > start + capacity_) return DropTorn(request, reserve, bytes, result);
  cursor_valid_ = true;
  cursor_seq_ = s;
  cursor_pos_ = p;
  result->next_seq = s;
  stats_.records += n;
  if (result->lost) stats_.lost += result->lost_to - result->lost_from + 1;
  return ReadStatus::kOk;
}

// The writer claimed part of what we copied: drop the records that may be torn and report them lost.
ReadStatus Reader::DropTorn(const ReadRequest& request, uint64_t reserve, size_t bytes, ReadResult* result) {
  const uint32_t n = result->count;
  uint32_t k = 0;
  size_t dropped_bytes = 0;
  while (k < n && positions_[k] + capacity_ < reserve) dropped_bytes += request.metas[k++].length;
  stats_.discarded_after_copy += k;
  if (!result->lost) result->lost_from = result->first_seq;
  result->lost = true;
  if (k < n) {
    std::memmove(request.dest, request.dest + dropped_bytes, bytes - dropped_bytes);
    std::memmove(request.metas, request.metas + k, (n - k) * sizeof(RecordMeta));
    result->lost_to = result->first_seq + k - 1;
    result->first_seq += k;
    result->count = n - k;
    const uint64_t end_pos = positions_[n - 1] + RecordBytes(request.metas[n - k - 1].length);
    cursor_valid_ = true;
    cursor_seq_ = result->first_seq + result->count;
    cursor_pos_ = end_pos;
  } else {
    // Everything we looked at is gone: restart at the oldest record still there.
    uint64_t oldest_pos, oldest_seq;
    if (!Oldest(&oldest_pos, &oldest_seq)) return ReadStatus::kBusy;
    if (oldest_seq < result->first_seq + std::max<uint32_t>(n, 1)) return ReadStatus::kBusy;  // cannot happen
    result->lost_to = oldest_seq - 1;
    result->first_seq = oldest_seq;
    result->count = 0;
    cursor_valid_ = true;
    cursor_seq_ = oldest_seq;
    cursor_pos_ = oldest_pos;
  }
  result->next_seq = cursor_seq_;
  stats_.records += result->count;
  stats_.lost += result->lost_to - result->lost_from + 1;
  return ReadStatus::kOk;
}

}  // namespace nixbtm::ring
