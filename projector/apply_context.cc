#include "projector/apply_context.h"

#include "rocksdb/comparator.h"
#include "store/rocksdb_status.h"

namespace lens {

ApplyContext::ApplyContext(Store* store)
    : store_(store), batch_(rocksdb::BytewiseComparator(), 0, /*overwrite_key=*/false) {}

absl::StatusOr<std::optional<std::string>> ApplyContext::Get(std::string_view cf,
                                                             std::string_view key) {
  std::string value;
  rocksdb::Status s = batch_.GetFromBatchAndDB(store_->db(), rocksdb::ReadOptions(), store_->cf(cf),
                                               rocksdb::Slice(key), &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return FromRocks(s);
  return std::optional<std::string>(std::move(value));
}

int64_t ApplyContext::GetCounter(std::string_view cf, std::string_view key) {
  auto v = Get(cf, key);
  if (!v.ok() || !v->has_value()) return 0;
  return DecodeCounter(**v);
}

std::unique_ptr<rocksdb::Iterator> ApplyContext::NewIterator(std::string_view cf,
                                                             const rocksdb::ReadOptions& options) {
  rocksdb::ColumnFamilyHandle* handle = store_->cf(cf);
  return std::unique_ptr<rocksdb::Iterator>(
      batch_.NewIteratorWithBase(handle, store_->db()->NewIterator(options, handle), &options));
}

void ApplyContext::Put(std::string_view cf, std::string_view key, std::string_view value) {
  batch_.Put(store_->cf(cf), rocksdb::Slice(key), rocksdb::Slice(value));
}

void ApplyContext::Delete(std::string_view cf, std::string_view key) {
  batch_.Delete(store_->cf(cf), rocksdb::Slice(key));
}

void ApplyContext::PutUnindexed(std::string_view cf, std::string_view key, std::string_view value) {
  unindexed_.Put(store_->cf(cf), rocksdb::Slice(key), rocksdb::Slice(value));
}

void ApplyContext::DeleteUnindexed(std::string_view cf, std::string_view key) {
  unindexed_.Delete(store_->cf(cf), rocksdb::Slice(key));
}

void ApplyContext::AddToCounterUnindexed(std::string_view cf, std::string_view key, int64_t delta) {
  unindexed_.Merge(store_->cf(cf), rocksdb::Slice(key), EncodeCounter(delta));
}

void ApplyContext::MergeUnindexed(std::string_view cf, std::string_view key,
                                  std::string_view operand) {
  unindexed_.Merge(store_->cf(cf), rocksdb::Slice(key), rocksdb::Slice(operand));
}

rocksdb::WriteBatch* ApplyContext::Finish() {
  if (unindexed_.Count() == 0) return batch_.GetWriteBatch();
  // RocksDB's batch format (the WAL's): a 12-byte header, fixed64
  // sequence and fixed32 count (little-endian), then the records. Joining
  // two batches is their records one after the other and the summed count.
  constexpr size_t kHeader = 12;
  const std::string& a = batch_.GetWriteBatch()->Data();
  const std::string& b = unindexed_.Data();
  std::string rep;
  rep.reserve(a.size() + b.size() - kHeader);
  rep.append(a);
  rep.append(b, kHeader, std::string::npos);
  uint32_t count = batch_.GetWriteBatch()->Count() + unindexed_.Count();
  for (int i = 0; i < 4; ++i) rep[8 + i] = static_cast<char>((count >> (8 * i)) & 0xff);
  final_ = rocksdb::WriteBatch(std::move(rep));
  return &final_;
}

void ApplyContext::AddToCounter(std::string_view cf, std::string_view key, int64_t delta) {
  batch_.Merge(store_->cf(cf), rocksdb::Slice(key), EncodeCounter(delta));
}

}  // namespace lens
