#include "projector/apply_context.h"

#include "rocksdb/comparator.h"
#include "store/rocksdb_status.h"

namespace lens {

ApplyContext::ApplyContext(Store* store)
    : store_(store), batch_(rocksdb::BytewiseComparator(), 0, /*overwrite_key=*/false) {}

absl::StatusOr<std::optional<std::string>> ApplyContext::Get(std::string_view cf,
                                                             std::string_view key) {
  std::string value;
  rocksdb::Status s = batch_.GetFromBatchAndDB(store_->db(), rocksdb::ReadOptions(),
                                               store_->cf(cf), rocksdb::Slice(key), &value);
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

void ApplyContext::AddToCounter(std::string_view cf, std::string_view key, int64_t delta) {
  batch_.Merge(store_->cf(cf), rocksdb::Slice(key), EncodeCounter(delta));
}

}  // namespace lens
