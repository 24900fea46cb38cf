// The writer side: creating the ring file, appending records, waking readers. See docs/ring.md for the protocol.
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "futex.h"
#include "ring.h"

namespace nixbtm::ring {
namespace {

std::unique_ptr<Writer> Fail(Error* error, int code, const std::string& what) {
  error->code = code;
  error->message = what + ": " + std::strerror(code);
  return nullptr;
}

// Fills the header of a freshly created (zeroed) file; only then is the file renamed to where readers look.
void InitHeader(RingHeader* h, const CreateOptions& o) {
  h->version = kVersion;
  h->header_bytes = kHeaderBytes;
  h->capacity = o.capacity;
  h->max_record_bytes = o.max_record_bytes;
  h->writer_pid = static_cast<uint32_t>(getpid());
  h->writer_start_ticks = ProcessStartTicks(getpid());
  h->writer_state.store(kWriterOpen, std::memory_order_relaxed);
  h->magic = kMagic;
}

}  // namespace

Mapping::Mapping(void* base, size_t bytes) : base_(base), bytes_(bytes) {}

Mapping::~Mapping() { munmap(base_, bytes_); }

std::unique_ptr<Writer> Writer::Create(const CreateOptions& o, Error* error) {
  static std::atomic<uint32_t> counter{0};
  const std::string tmp = o.path + ".tmp-" + std::to_string(getpid()) + "-" + std::to_string(counter++);
  // Only the writer may store into the ring: anyone who can write the file could forge records for every reader,
  // and anyone who can truncate it could kill the writer with SIGBUS.
  if ((o.mode & 0022) != 0 || (o.mode & 0600) != 0600 || o.mode > 0777) {
    char mode[16];
    std::snprintf(mode, sizeof mode, "0%o", o.mode);
    return Fail(error, EINVAL, std::string("refusing ring mode ") + mode + ": only the writer may write the ring");
  }
  const int fd = open(tmp.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return Fail(error, errno, "cannot create " + tmp);
  const size_t bytes = kHeaderBytes + o.capacity;
  auto fail = [&](int code, const std::string& what) {
    close(fd);
    unlink(tmp.c_str());
    return Fail(error, code, what);
  };
  // fchmod after open: the mode must not depend on the umask.
  if (fchmod(fd, o.mode) != 0) return fail(errno, "cannot chmod " + tmp);
  if (o.gid >= 0 && fchown(fd, static_cast<uid_t>(-1), static_cast<gid_t>(o.gid)) != 0) {
    return fail(errno, "cannot give " + tmp + " to group " + std::to_string(o.gid));
  }
  // Allocate now so a full tmpfs fails here, not later as SIGBUS in every process that maps the ring.
  const int alloc = posix_fallocate(fd, 0, static_cast<off_t>(bytes));
  if (alloc != 0) return fail(alloc, "cannot allocate " + std::to_string(bytes) + " bytes for " + tmp);
  // MAP_POPULATE: the pages are allocated already; mapping them all now spares the writer a minor fault on the
  // first touch of each page, ~700 a second at 10,000 records/s until the ring has wrapped once (npm run bench,
  // key `e2e`, daemonMinorFaultsPerSecond: ~780 -> ~410, daemon CPU 11.4% -> 10.8% of a core, medians of 6 interleaved runs).
  void* base = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
  if (base == MAP_FAILED) return fail(errno, "cannot map " + tmp);
  close(fd);
  auto map = std::make_shared<Mapping>(base, bytes);
  InitHeader(map->header(), o);
  if (rename(tmp.c_str(), o.path.c_str()) != 0) {
    const int code = errno;
    unlink(tmp.c_str());
    return Fail(error, code, "cannot rename " + tmp + " to " + o.path);
  }
  return std::unique_ptr<Writer>(new Writer(std::move(map), o.capacity, o.max_record_bytes));
}

Writer::Writer(std::shared_ptr<Mapping> map, uint64_t capacity, uint32_t max_record_bytes)
    : map_(std::move(map)), capacity_(capacity), max_record_bytes_(max_record_bytes) {}

Writer::~Writer() { Close(); }

void Writer::CopyIn(uint64_t pos, const void* src, size_t n) {
  const size_t offset = pos & (capacity_ - 1);
  const size_t first = n < capacity_ - offset ? n : capacity_ - offset;
  std::memcpy(map_->data() + offset, src, first);
  if (first < n) std::memcpy(map_->data(), static_cast<const uint8_t*>(src) + first, n - first);
}

// Moves the private tail past every record that the record ending at new_end will overwrite.
void Writer::AdvanceTail(uint64_t new_end) {
  while (tail_pos_ + capacity_ < new_end) {
    RecordHeader h;
    const size_t offset = tail_pos_ & (capacity_ - 1);
    if (offset + sizeof h <= capacity_) {
      std::memcpy(&h, map_->data() + offset, sizeof h);  // fixed size: two loads, no call
    } else {
      const size_t first = capacity_ - offset;
      std::memcpy(&h, map_->data() + offset, first);
      std::memcpy(reinterpret_cast<uint8_t*>(&h) + first, map_->data(), sizeof h - first);
    }
    if (h.seq != tail_seq_ || h.length > max_record_bytes_) {
      // Only this process writes the file (its mode allows no one else), so this means memory corruption; still,
      // never follow a length we did not write: nothing older than the record being written is trusted.
      tail_pos_ = write_pos_;
      tail_seq_ = seq_;
      return;
    }
    tail_pos_ += RecordBytes(h.length);
    tail_seq_ += 1;
  }
}

AppendStatus Writer::Append(uint32_t kind, const uint8_t* payload, uint32_t length, uint64_t* seq) {
  if (!map_) return AppendStatus::kClosed;
  if (length > max_record_bytes_) return AppendStatus::kTooLarge;
  RingHeader* h = map_->header();
  const uint64_t new_end = write_pos_ + RecordBytes(length);
  AdvanceTail(new_end);
  // Claim the space before touching it: a reader that copied bytes below reserve_pos - capacity discards them.
  h->tail_pos.store(tail_pos_, std::memory_order_relaxed);
  h->reserve_pos.store(new_end, std::memory_order_release);
  std::atomic_thread_fence(std::memory_order_release);
  const RecordHeader record = {seq_, length, kind};
  CopyIn(write_pos_, &record, sizeof record);
  if (length > 0) CopyIn(write_pos_ + sizeof record, payload, length);
  h->last_pos.store(write_pos_, std::memory_order_release);
  write_pos_ = new_end;
  *seq = seq_++;
  h->write_pos.store(write_pos_, std::memory_order_release);
  h->next_seq.store(seq_, std::memory_order_release);
  // A reader about to sleep passes the word it saw to FUTEX_WAIT, which the kernel compares atomically: it sleeps
  // only if this store has not happened yet, and then the next Wake() wakes it.
  h->futex_word.store(static_cast<uint32_t>(seq_), std::memory_order_seq_cst);
  if (seq_ - woken_seq_ >= kWakeEvery) Wake();
  return AppendStatus::kOk;
}

AppendStatus Writer::AppendBatch(const uint8_t* data, size_t data_bytes, const RecordMeta* metas, uint32_t count,
                                 uint64_t* first_seq, bool wake) {
  if (!map_) return AppendStatus::kClosed;
  size_t total = 0;
  for (uint32_t i = 0; i < count; ++i) {
    if (metas[i].length > max_record_bytes_) return AppendStatus::kTooLarge;
    total += metas[i].length;
  }
  if (total > data_bytes) return AppendStatus::kTooLarge;
  *first_seq = seq_;
  size_t offset = 0;
  for (uint32_t i = 0; i < count;) {
    const uint32_t n = PublishChunk(data + offset, metas + i, count - i, &offset);
    i += n;
    if (seq_ - woken_seq_ >= kWakeEvery) Wake();
  }
  if (wake) Wake();
  return AppendStatus::kOk;
}

// Publishes the next records of a batch together, by Append's protocol applied to the chunk as a whole: one claim
// (reserve_pos) for all of them, the copies, then one publish (write_pos, next_seq, the word). Per record that
// saves the header stores and the seq_cst store of the word, which cost more than copying a small record. A chunk
// is at most kChunkBytes (and kChunkRecords), so a reader sees a big batch's first records within microseconds and
// a reader that was lapped loses no more to the wider claim than to one large record. Returns the records taken;
// `*offset` moves past their payloads.
uint32_t Writer::PublishChunk(const uint8_t* payloads, const RecordMeta* metas, uint32_t available, size_t* offset) {
  RingHeader* h = map_->header();
  const uint64_t limit = std::min<uint64_t>(kChunkBytes, capacity_ / kMaxRecordDivisor);
  uint64_t end = write_pos_;
  uint32_t n = 0;
  // At least one record, whatever its size (it is <= max_record_bytes, like a single Append).
  while (n < available && n < kChunkRecords && (n == 0 || end + RecordBytes(metas[n].length) - write_pos_ <= limit)) {
    end += RecordBytes(metas[n].length);
    ++n;
  }
  AdvanceTail(end);
  h->tail_pos.store(tail_pos_, std::memory_order_relaxed);
  h->reserve_pos.store(end, std::memory_order_release);
  std::atomic_thread_fence(std::memory_order_release);
  uint64_t p = write_pos_, last = write_pos_;
  size_t from = 0;
  uint8_t* data = map_->data();
  for (uint32_t i = 0; i < n; ++i) {
    const RecordHeader record = {seq_ + i, metas[i].length, metas[i].kind};
    const size_t at = p & (capacity_ - 1);
    if (at + sizeof record + record.length <= capacity_) {
      // The common case, no wrap: plain stores (the header is 8-byte aligned in the ring).
      std::memcpy(data + at, &record, sizeof record);
      std::memcpy(data + at + sizeof record, payloads + from, record.length);
    } else {
      CopyIn(p, &record, sizeof record);
      if (record.length > 0) CopyIn(p + sizeof record, payloads + from, record.length);
    }
    from += record.length;
    last = p;
    p += RecordBytes(record.length);
  }
  h->last_pos.store(last, std::memory_order_release);
  write_pos_ = end;
  seq_ += n;
  h->write_pos.store(write_pos_, std::memory_order_release);
  h->next_seq.store(seq_, std::memory_order_release);
  h->futex_word.store(static_cast<uint32_t>(seq_), std::memory_order_seq_cst);
  *offset += from;
  return n;
}

void Writer::Wake() {
  if (!map_ || woken_seq_ == seq_) return;
  woken_seq_ = seq_;
  WakeFds();  // first: a reader on a FIFO is on its way while the futex syscall runs
  FutexWakeAll(&map_->header()->futex_word);
}

void Writer::AddWakeFd(int fd) {
  if (!map_) {
    close(fd);
    return;
  }
  wake_fds_.push_back(fd);
  WakeFds();  // records published before the reader's FIFO was adopted count as news
}

void Writer::WakeFds() {
  static const char kByte = 1;
  for (size_t i = 0; i < wake_fds_.size();) {
    const ssize_t n = write(wake_fds_[i], &kByte, 1);
    if (n < 0 && errno != EAGAIN && errno != EINTR) {  // EPIPE: the reader closed its end (SIGPIPE is ignored)
      close(wake_fds_[i]);
      wake_fds_[i] = wake_fds_.back();
      wake_fds_.pop_back();
      continue;
    }
    i += 1;
  }
}

void Writer::Close() {
  if (!map_) return;
  RingHeader* h = map_->header();
  h->writer_state.store(kWriterClosed, std::memory_order_release);
  h->futex_word.fetch_add(1, std::memory_order_seq_cst);
  FutexWakeAll(&h->futex_word);
  WakeFds();
  for (const int fd : wake_fds_) close(fd);
  wake_fds_.clear();
  map_.reset();
}

uint64_t ProcessStartTicks(pid_t pid) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/stat", static_cast<int>(pid));
  FILE* f = std::fopen(path, "re");
  if (!f) return 0;
  char buf[1024];
  const size_t n = std::fread(buf, 1, sizeof buf - 1, f);
  std::fclose(f);
  buf[n] = '\0';
  // The command name (field 2) may hold spaces and parentheses: fields are counted from the last ')'.
  const char* p = std::strrchr(buf, ')');
  if (!p) return 0;
  char state = 0;
  unsigned long long ticks = 0;
  // After ')': state (3), then fields 4..21 skipped, then starttime (22).
  if (std::sscanf(p + 1, " %c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
                  &state, &ticks) != 2) {
    return 0;
  }
  return state == 'Z' || state == 'X' ? 0 : ticks;
}

bool WriterProcessAlive(const RingHeader& header) {
  if (header.writer_state.load(std::memory_order_acquire) != kWriterOpen) return false;
  const pid_t pid = static_cast<pid_t>(header.writer_pid);
  const uint64_t ticks = ProcessStartTicks(pid);
  if (ticks != 0) return header.writer_start_ticks == 0 || ticks == header.writer_start_ticks;
  // No readable /proc entry: gone, a zombie, or /proc is not mounted; kill(pid, 0) decides the last case.
  if (access("/proc/self/stat", R_OK) == 0) return false;
  return kill(pid, 0) == 0 || errno == EPERM;
}

}  // namespace nixbtm::ring
