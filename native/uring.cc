// See uring.h. The layout of the rings and the SQE fields of FUTEX_WAIT follow the kernel's uapi and
// io_uring/futex.c (Linux >= 6.7); the headers this is built with may predate the opcode, so it is spelled here.
#include "uring.h"

#include <errno.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

namespace nixbtm::ring {
namespace {

constexpr uint8_t kOpFutexWait = 51;             // IORING_OP_FUTEX_WAIT
constexpr uint32_t kFutex2SizeU32 = 0x02;        // FUTEX2_SIZE_U32, and not FUTEX2_PRIVATE (0x80)
constexpr uint64_t kFutexBitsetAny = 0xffffffff; // FUTEX_BITSET_MATCH_ANY
constexpr unsigned kEntries = 4;                 // one request is ever in flight

std::atomic<uint32_t>* At(uint8_t* base, uint32_t offset) { return reinterpret_cast<std::atomic<uint32_t>*>(base + offset); }

std::string Why(const char* what, int code) { return std::string(what) + ": " + std::strerror(code); }

}  // namespace

std::unique_ptr<FutexUring> FutexUring::Open(std::string* why) {
  std::unique_ptr<FutexUring> u(new FutexUring());
  u->fd_ = static_cast<int>(syscall(__NR_io_uring_setup, kEntries, &u->params_));
  if (u->fd_ < 0) {
    *why = Why("io_uring_setup", errno);
    return nullptr;
  }
  if (!u->Map(why)) return nullptr;
  // Ask the kernel which opcodes it has: a kernel before 6.7 sets up a ring but fails FUTEX_WAIT with EINVAL.
  constexpr unsigned kOps = 256;
  alignas(io_uring_probe) uint8_t buffer[sizeof(io_uring_probe) + kOps * sizeof(io_uring_probe_op)] = {};
  auto* probe = reinterpret_cast<io_uring_probe*>(buffer);
  if (syscall(__NR_io_uring_register, u->fd_, IORING_REGISTER_PROBE, probe, kOps) < 0) {
    *why = Why("io_uring probe", errno);
    return nullptr;
  }
  if (probe->last_op < kOpFutexWait || (probe->ops[kOpFutexWait].flags & IO_URING_OP_SUPPORTED) == 0) {
    *why = "this kernel's io_uring has no FUTEX_WAIT (Linux >= 6.7)";
    return nullptr;
  }
  return u;
}

bool FutexUring::Map(std::string* why) {
  const io_uring_params& p = params_;
  sq_bytes_ = p.sq_off.array + p.sq_entries * sizeof(uint32_t);
  cq_bytes_ = p.cq_off.cqes + p.cq_entries * sizeof(io_uring_cqe);
  const bool single = (p.features & IORING_FEAT_SINGLE_MMAP) != 0;
  if (single) sq_bytes_ = cq_bytes_ = sq_bytes_ > cq_bytes_ ? sq_bytes_ : cq_bytes_;
  void* sq = mmap(nullptr, sq_bytes_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd_, IORING_OFF_SQ_RING);
  if (sq == MAP_FAILED) {
    sq_bytes_ = 0;
    *why = Why("mmap of the io_uring", errno);
    return false;
  }
  sq_ = static_cast<uint8_t*>(sq);
  if (single) {
    cq_ = sq_;
  } else {
    void* cq = mmap(nullptr, cq_bytes_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd_, IORING_OFF_CQ_RING);
    if (cq == MAP_FAILED) {
      cq_bytes_ = 0;
      *why = Why("mmap of the io_uring", errno);
      return false;
    }
    cq_ = static_cast<uint8_t*>(cq);
  }
  sqes_bytes_ = p.sq_entries * sizeof(io_uring_sqe);
  void* sqes = mmap(nullptr, sqes_bytes_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd_, IORING_OFF_SQES);
  if (sqes == MAP_FAILED) {
    sqes_bytes_ = 0;
    *why = Why("mmap of the io_uring", errno);
    return false;
  }
  sqes_ = static_cast<io_uring_sqe*>(sqes);
  return true;
}

FutexUring::~FutexUring() {
  if (sqes_) munmap(sqes_, sqes_bytes_);
  if (cq_ && cq_ != sq_) munmap(cq_, cq_bytes_);
  if (sq_) munmap(sq_, sq_bytes_);
  // Closing the ring cancels a wait still in flight; the kernel holds no pointer into our memory for it.
  if (fd_ >= 0) close(fd_);
}

io_uring_sqe* FutexUring::NextSqe() {
  const uint32_t tail = At(sq_, params_.sq_off.tail)->load(std::memory_order_relaxed);
  const uint32_t head = At(sq_, params_.sq_off.head)->load(std::memory_order_acquire);
  if (tail - head >= params_.sq_entries) return nullptr;
  const uint32_t index = tail & *At(sq_, params_.sq_off.ring_mask);
  io_uring_sqe* sqe = &sqes_[index];
  std::memset(sqe, 0, sizeof *sqe);
  reinterpret_cast<uint32_t*>(sq_ + params_.sq_off.array)[index] = index;
  return sqe;
}

bool FutexUring::Submit() {
  std::atomic<uint32_t>* tail = At(sq_, params_.sq_off.tail);
  tail->store(tail->load(std::memory_order_relaxed) + 1, std::memory_order_release);
  for (;;) {
    const long r = syscall(__NR_io_uring_enter, fd_, 1, 0, 0, nullptr, 0);
    if (r >= 0) return r == 1;
    if (errno != EINTR) return false;
  }
}

bool FutexUring::SubmitWait(const std::atomic<uint32_t>* word, uint32_t expected) {
  io_uring_sqe* sqe = NextSqe();
  if (!sqe) return false;
  sqe->opcode = kOpFutexWait;
  sqe->fd = static_cast<int32_t>(kFutex2SizeU32);  // futex2 flags
  sqe->addr = reinterpret_cast<uintptr_t>(word);
  sqe->addr2 = expected;
  sqe->addr3 = kFutexBitsetAny;
  return Submit();
}

bool FutexUring::SubmitNop() {
  io_uring_sqe* sqe = NextSqe();
  if (!sqe) return false;
  sqe->opcode = IORING_OP_NOP;
  return Submit();
}

int FutexUring::Reap() {
  std::atomic<uint32_t>* head = At(cq_, params_.cq_off.head);
  const uint32_t tail = At(cq_, params_.cq_off.tail)->load(std::memory_order_acquire);
  const uint32_t h = head->load(std::memory_order_relaxed);
  head->store(tail, std::memory_order_release);
  return static_cast<int>(tail - h);
}

bool FutexUring::WaitOne(int32_t* res) {
  for (;;) {
    std::atomic<uint32_t>* head = At(cq_, params_.cq_off.head);
    const uint32_t h = head->load(std::memory_order_relaxed);
    if (At(cq_, params_.cq_off.tail)->load(std::memory_order_acquire) != h) {
      const uint32_t mask = *At(cq_, params_.cq_off.ring_mask);
      *res = reinterpret_cast<io_uring_cqe*>(cq_ + params_.cq_off.cqes)[h & mask].res;
      head->store(h + 1, std::memory_order_release);
      return true;
    }
    if (syscall(__NR_io_uring_enter, fd_, 0, 1, IORING_ENTER_GETEVENTS, nullptr, 0) < 0 && errno != EINTR) return false;
  }
}

}  // namespace nixbtm::ring
