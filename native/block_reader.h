// Reads of a ring into a reader's block buffers (readBlock()'s layout), and the prefetch an event-loop wait does
// just before its callback: the records after the last read, into the same buffers, marked in out[5] with their
// fromSeq. readBlock() at that sequence takes them (it sets out[5] = -2) without calling into the addon again, so
// a cold wake-up crosses into the addon once. Counts: a prefetched block is handed out only once taken. No N-API.
#pragma once

#include <cstddef>
#include <cstdint>

#include "ring.h"

namespace nixbtm::ring {

class BlockReader {
 public:
  explicit BlockReader(Reader* reader) : reader_(reader), next_seq_(reader->NextSeq()) {}

  // out = [count, firstSeq, nextSeq, lostFrom (-1: none), lostTo(, prefetched: -1 after this read)]; offsets, if
  // given: each record's payload offset in dest, and one more entry, the end of the last.
  ReadStatus Read(uint64_t from, uint8_t* dest, size_t dest_bytes, RecordMeta* metas, uint32_t max_records, double* out,
                  size_t out_length, uint32_t* offsets);
  // The buffers a prefetch reads into (out: 6 entries); kept valid by the caller until ClearBuffers().
  void SetBuffers(uint8_t* dest, size_t dest_bytes, RecordMeta* metas, uint32_t* offsets, double* out, uint32_t max);
  void ClearBuffers();
  // Reads the records after the last read into the buffers, if there are buffers.
  void Prefetch();
  // The reader's counts without the prefetched records nobody took (yet).
  ReaderStats HandedOut() const;

 private:
  void Settle();

  Reader* reader_;
  uint64_t next_seq_;  // where the last read ended: a prefetch reads from there (first: the live edge)
  uint8_t* dest_ = nullptr;
  size_t dest_bytes_ = 0;
  RecordMeta* metas_ = nullptr;
  uint32_t* offsets_ = nullptr;
  double* out_ = nullptr;
  uint32_t max_ = 0;
  ReaderStats pending_;  // what the last prefetch read, until settled
  ReaderStats unused_;   // what prefetches read that readBlock() never took
};

}  // namespace nixbtm::ring
