#include "projector/apply_context.h"

#include <algorithm>

#include "base/varint.h"
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

namespace {

// One record of a WriteBatch, its key and value pointing into the batch.
struct BatchRecord {
  uint32_t cf;
  char op;  // 'p'ut, 'd'elete, 'm'erge
  rocksdb::Slice key;
  rocksdb::Slice value;
};

class RecordCollector : public rocksdb::WriteBatch::Handler {
 public:
  explicit RecordCollector(std::vector<BatchRecord>* out) : out_(out) {}
  rocksdb::Status PutCF(uint32_t cf, const rocksdb::Slice& key,
                        const rocksdb::Slice& value) override {
    out_->push_back({cf, 'p', key, value});
    return rocksdb::Status::OK();
  }
  rocksdb::Status DeleteCF(uint32_t cf, const rocksdb::Slice& key) override {
    out_->push_back({cf, 'd', key, {}});
    return rocksdb::Status::OK();
  }
  rocksdb::Status MergeCF(uint32_t cf, const rocksdb::Slice& key,
                          const rocksdb::Slice& value) override {
    out_->push_back({cf, 'm', key, value});
    return rocksdb::Status::OK();
  }
  // Anything else (single deletes, ranges, blobs): the Handler's defaults
  // fail the walk, and the batch is committed as written.

 private:
  std::vector<BatchRecord>* out_;
};

// RocksDB's record tags (db/dbformat.h, the WAL format): the plain ones
// for the default column family, the *ColumnFamily* ones with the id.
char Tag(const BatchRecord& r) {
  switch (r.op) {
    case 'p': return r.cf == 0 ? 0x1 : 0x5;
    case 'd': return r.cf == 0 ? 0x0 : 0x4;
    default: return r.cf == 0 ? 0x2 : 0x6;
  }
}

}  // namespace

rocksdb::WriteBatch* ApplyContext::Finish() {
  // The batch is committed sorted by (column family, key). A memtable
  // insert starts its search from where the previous one ended, so keys in
  // order cost a short walk instead of a descent from the top of a skip
  // list of a million entries: that descent was half of a rebuild's time.
  // A stable sort keeps the order of the writes to one key (a put, then
  // merges, then a delete), which is all the batch's meaning depends on;
  // it commits atomically either way. The unindexed writes come after the
  // indexed ones, as promised, for the same key.
  std::vector<BatchRecord> records;
  records.reserve(batch_.GetWriteBatch()->Count() + unindexed_.Count());
  RecordCollector collector(&records);
  if (!batch_.GetWriteBatch()->Iterate(&collector).ok() || !unindexed_.Iterate(&collector).ok())
    return FinishUnsorted();
  std::stable_sort(records.begin(), records.end(),
                   [](const BatchRecord& a, const BatchRecord& b) {
                     if (a.cf != b.cf) return a.cf < b.cf;
                     return a.key.compare(b.key) < 0;
                   });
  // The batch format: a 12-byte header (fixed64 sequence, fixed32 count,
  // little-endian), then the records: tag, varint32 column family (not
  // for the default one), length-prefixed key, length-prefixed value.
  const std::string& a = batch_.GetWriteBatch()->Data();
  const std::string& b = unindexed_.Data();
  std::string rep(12, '\0');
  rep.reserve(a.size() + b.size());
  for (const BatchRecord& r : records) {
    rep.push_back(Tag(r));
    if (r.cf != 0) PutVarint(&rep, r.cf);
    PutLengthPrefixed(&rep, std::string_view(r.key.data(), r.key.size()));
    if (r.op != 'd') PutLengthPrefixed(&rep, std::string_view(r.value.data(), r.value.size()));
  }
  const auto count = static_cast<uint32_t>(records.size());
  for (int i = 0; i < 4; ++i) rep[8 + i] = static_cast<char>((count >> (8 * i)) & 0xff);
  final_ = rocksdb::WriteBatch(std::move(rep));
  return &final_;
}

rocksdb::WriteBatch* ApplyContext::FinishUnsorted() {
  if (unindexed_.Count() == 0) return batch_.GetWriteBatch();
  // Joining two batches is their records one after the other and the
  // summed count.
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
