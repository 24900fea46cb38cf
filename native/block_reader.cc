// See block_reader.h.
#include "block_reader.h"

namespace nixbtm::ring {

ReadStatus BlockReader::Read(uint64_t from, uint8_t* dest, size_t dest_bytes, RecordMeta* metas, uint32_t max_records,
                             double* o, size_t out_length, uint32_t* offsets) {
  Settle();
  if (out_length > 5) o[5] = -1;
  const ReadRequest request = {from, dest, dest_bytes, metas, max_records};
  ReadResult result;
  const ReadStatus status = reader_->Read(request, &result);
  if (status != ReadStatus::kOk) return status;
  if (offsets != nullptr) {
    uint32_t at = 0;
    for (uint32_t i = 0; i < result.count; ++i) {
      offsets[i] = at;
      at += metas[i].length;
    }
    offsets[result.count] = at;
  }
  o[0] = result.count;
  o[1] = static_cast<double>(result.first_seq);
  o[2] = static_cast<double>(result.next_seq);
  o[3] = result.lost ? static_cast<double>(result.lost_from) : -1;
  o[4] = result.lost ? static_cast<double>(result.lost_to) : -1;
  next_seq_ = result.next_seq;
  return status;
}

void BlockReader::SetBuffers(uint8_t* dest, size_t dest_bytes, RecordMeta* metas, uint32_t* offsets, double* out,
                             uint32_t max) {
  ClearBuffers();
  dest_ = dest;
  dest_bytes_ = dest_bytes;
  metas_ = metas;
  offsets_ = offsets;
  out_ = out;
  max_ = max;
}

void BlockReader::ClearBuffers() {
  Settle();
  out_ = nullptr;
}

void BlockReader::Prefetch() {
  if (out_ == nullptr) return;
  const uint64_t from = next_seq_;
  const ReaderStats before = reader_->stats();
  if (Read(from, dest_, dest_bytes_, metas_, max_, out_, 6, offsets_) != ReadStatus::kOk) return;
  out_[5] = static_cast<double>(from);
  const ReaderStats& after = reader_->stats();
  pending_ = {after.records - before.records, after.lost - before.lost,
              after.discarded_after_copy - before.discarded_after_copy};
}

// Before the buffers are read into again: a prefetch readBlock() took counts; one it did not never happened.
void BlockReader::Settle() {
  if (out_ != nullptr && out_[5] != -2) {
    unused_.records += pending_.records;
    unused_.lost += pending_.lost;
    unused_.discarded_after_copy += pending_.discarded_after_copy;
  }
  pending_ = {};
}

ReaderStats BlockReader::HandedOut() const {
  ReaderStats s = reader_->stats();
  const bool taken = out_ != nullptr && out_[5] == -2;
  s.records -= unused_.records + (taken ? 0 : pending_.records);
  s.lost -= unused_.lost + (taken ? 0 : pending_.lost);
  s.discarded_after_copy -= unused_.discarded_after_copy + (taken ? 0 : pending_.discarded_after_copy);
  return s;
}

}  // namespace nixbtm::ring
