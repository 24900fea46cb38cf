// The one owner of the shared-memory ring layout. src/ring/layout.ts mirrors these values and a test compares them.
//
// File = RingHeader (padded to kHeaderBytes) followed by `capacity` data bytes. Positions are logical byte counts
// that only grow (u64); the physical offset of logical position p is kHeaderBytes + (p & (capacity - 1)).
// A record is a RecordHeader followed by its payload, padded to kRecordAlign; it may wrap past the end of the data.
// Only the writer ever stores into the file: readers open it read-only and map it PROT_READ (docs/ring.md).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace nixbtm::ring {

constexpr uint64_t kMagic = 0x31474e5242544e58ULL;  // "XNTBRNG1" little-endian: a nix-btm ring file
constexpr uint32_t kVersion = 2;                      // bumped on any change to this file (2: readers never write)
constexpr uint32_t kHeaderBytes = 4096;               // data starts on its own page
constexpr uint32_t kRecordHeaderBytes = 16;           // sizeof(RecordHeader)
constexpr uint32_t kRecordAlign = 8;                  // every record starts on an 8-byte logical position
constexpr uint64_t kMinCapacity = 4096;               // smallest data area (bytes, power of two)
constexpr uint64_t kMaxCapacity = 1ULL << 30;         // largest data area (bytes, power of two)
constexpr uint32_t kMaxRecordDivisor = 4;             // max_record_bytes <= capacity / 4, so 3/4 of the ring stays readable
constexpr uint32_t kWriterOpen = 1;                   // writer_state: the writer may still append
constexpr uint32_t kWriterClosed = 2;                 // writer_state: the writer closed the ring cleanly

struct RingHeader {
  // Cache line 0: written once by the writer before the file is renamed into place, read-only afterwards
  // (except writer_state).
  uint64_t magic;                      // 0: kMagic
  uint32_t version;                    // 8: kVersion
  uint32_t header_bytes;               // 12: kHeaderBytes (offset of the data area)
  uint64_t capacity;                   // 16: data area size in bytes, a power of two
  uint32_t max_record_bytes;           // 24: largest payload the writer accepts
  uint32_t writer_pid;                 // 28: pid of the writing process (in the writer's pid namespace)
  uint64_t writer_start_ticks;         // 32: field 22 of /proc/<pid>/stat for the writer; guards against pid reuse
  std::atomic<uint32_t> writer_state;  // 40: kWriterOpen, then kWriterClosed on a clean close
  uint32_t reserved0;                  // 44: zero
  uint8_t pad0[16];                    // 48: keeps the writer's hot fields on their own cache line

  // Cache line 1: the writer's progress; only the writer stores here.
  std::atomic<uint64_t> reserve_pos;   // 64: end of the space claimed by the record being written (>= write_pos);
                                       //     logical bytes below reserve_pos - capacity may be overwritten
  std::atomic<uint64_t> write_pos;     // 72: end of the last published record
  std::atomic<uint64_t> next_seq;      // 80: sequence number the next record gets; all below are published
  std::atomic<uint64_t> tail_pos;      // 88: position of the oldest record not yet claimed for overwriting
  std::atomic<uint64_t> last_pos;      // 96: position of the newest published record (stored before next_seq),
                                       //     so a reader starting at the live edge never walks the whole ring
  uint8_t pad1[24];                    // 104: up to the futex line

  // Cache line 2: wake-ups.
  std::atomic<uint32_t> futex_word;    // 128: low 32 bits of next_seq, bumped on every publish and on close;
                                       //      readers FUTEX_WAIT (shared, not private) on it through a read-only
                                       //      mapping, which the kernel allows (a wait only reads the word)
  uint32_t reserved1;                  // 132: zero
  uint8_t pad2[56];                    // 136: to the end of the line
};

struct RecordHeader {
  uint64_t seq;     // 0: sequence number, consecutive from 0
  uint32_t length;  // 8: payload bytes that follow this header (<= max_record_bytes)
  uint32_t kind;    // 12: caller-defined record type
};

// Bytes a record with `length` payload bytes occupies in the ring.
constexpr uint64_t RecordBytes(uint32_t length) {
  return (uint64_t{kRecordHeaderBytes} + length + kRecordAlign - 1) & ~uint64_t{kRecordAlign - 1};
}

static_assert(std::atomic<uint32_t>::is_always_lock_free, "u32 atomics must be lock-free to share them");
static_assert(std::atomic<uint64_t>::is_always_lock_free, "u64 atomics must be lock-free to share them");
static_assert(sizeof(std::atomic<uint64_t>) == 8 && sizeof(std::atomic<uint32_t>) == 4, "atomics add no state");
static_assert(offsetof(RingHeader, magic) == 0, "layout");
static_assert(offsetof(RingHeader, version) == 8, "layout");
static_assert(offsetof(RingHeader, header_bytes) == 12, "layout");
static_assert(offsetof(RingHeader, capacity) == 16, "layout");
static_assert(offsetof(RingHeader, max_record_bytes) == 24, "layout");
static_assert(offsetof(RingHeader, writer_pid) == 28, "layout");
static_assert(offsetof(RingHeader, writer_start_ticks) == 32, "layout");
static_assert(offsetof(RingHeader, writer_state) == 40, "layout");
static_assert(offsetof(RingHeader, reserve_pos) == 64, "layout");
static_assert(offsetof(RingHeader, write_pos) == 72, "layout");
static_assert(offsetof(RingHeader, next_seq) == 80, "layout");
static_assert(offsetof(RingHeader, tail_pos) == 88, "layout");
static_assert(offsetof(RingHeader, last_pos) == 96, "layout");
static_assert(offsetof(RingHeader, futex_word) == 128, "layout");
static_assert(sizeof(RingHeader) == 192, "layout");
static_assert(sizeof(RingHeader) <= kHeaderBytes, "header fits its page");
static_assert(sizeof(RecordHeader) == kRecordHeaderBytes, "layout");
static_assert(offsetof(RecordHeader, length) == 8 && offsetof(RecordHeader, kind) == 12, "layout");
static_assert(RecordBytes(0) == 16 && RecordBytes(1) == 24 && RecordBytes(8) == 24, "padding");

}  // namespace nixbtm::ring
