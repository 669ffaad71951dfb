#include "store/store.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <functional>
#include <mutex>
#include <atomic>

#include "base/big_endian.h"
#include "rocksdb/cache.h"
#include "rocksdb/compaction_filter.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/merge_operator.h"
#include "rocksdb/table.h"
#include "rocksdb/utilities/checkpoint.h"
#include "rocksdb/write_buffer_manager.h"
#include "store/memory_budget.h"
#include "store/point_cache.h"
#include "store/posting_block.h"
#include "store/rocksdb_status.h"

namespace lens {
namespace {

// The one merge operator of every column family. It folds two kinds of
// values, told apart by their form: int64 counters (exactly 8 bytes,
// summed) and posting blocks (store/posting_block.h). One operator for
// both keeps every opener of a store (the node, lensctl's backup and
// verify) merging correctly without knowing which family holds which.
class LensMergeOperator : public rocksdb::MergeOperator {
 public:
  bool FullMergeV2(const MergeOperationInput& in, MergeOperationOutput* out) const override {
    const bool blocks = in.operand_list.empty() ? false : IsPostingBlock(in.operand_list[0].ToStringView());
    if (blocks) {
      std::vector<std::string_view> operands;
      operands.reserve(in.operand_list.size());
      for (const rocksdb::Slice& op : in.operand_list) operands.push_back(op.ToStringView());
      return MergePostingBlocks(in.existing_value ? in.existing_value->ToStringView() : "",
                                operands, /*keep_removals=*/false, &out->new_value);
    }
    int64_t sum = in.existing_value ? DecodeCounter(in.existing_value->ToStringView()) : 0;
    for (const rocksdb::Slice& op : in.operand_list) sum += DecodeCounter(op.ToStringView());
    out->new_value = EncodeCounter(sum);
    return true;
  }

  bool PartialMergeMulti(const rocksdb::Slice&, const std::deque<rocksdb::Slice>& operands,
                         std::string* new_value, rocksdb::Logger*) const override {
    if (operands.empty()) return false;
    if (IsPostingBlock(operands.front().ToStringView())) {
      std::vector<std::string_view> ops;
      ops.reserve(operands.size());
      for (const rocksdb::Slice& op : operands) {
        if (!IsPostingBlock(op.ToStringView())) return false;
        ops.push_back(op.ToStringView());
      }
      return MergePostingBlocks("", ops, /*keep_removals=*/true, new_value);
    }
    int64_t sum = 0;
    for (const rocksdb::Slice& op : operands) {
      if (op.size() != 8) return false;
      sum += DecodeCounter(op.ToStringView());
    }
    *new_value = EncodeCounter(sum);
    return true;
  }

  const char* Name() const override { return "lens.Merge"; }
};

}  // namespace

std::string EncodeCounter(int64_t v) {
  std::string s(8, '\0');
  std::memcpy(s.data(), &v, 8);
  return s;
}

int64_t DecodeCounter(std::string_view v) {
  if (v.size() < 8) return 0;
  int64_t r;
  std::memcpy(&r, v.data(), 8);
  return r;
}

namespace {

// Drops values whose leading BE64 timestamp is older than the retention.
class ExpiryFilter : public rocksdb::CompactionFilter {
 public:
  explicit ExpiryFilter(int64_t retention_ms) : retention_ms_(retention_ms) {}
  bool Filter(int, const rocksdb::Slice&, const rocksdb::Slice& value, std::string*,
              bool*) const override {
    if (value.size() < 8) return false;
    int64_t ts = static_cast<int64_t>(ReadBigEndian64(std::string_view(value.data(), 8)));
    int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
    return ts < now - retention_ms_;
  }
  const char* Name() const override { return "lens.ExpiryFilter"; }

 private:
  int64_t retention_ms_;
};

class ExpiryFilterFactory : public rocksdb::CompactionFilterFactory {
 public:
  explicit ExpiryFilterFactory(int64_t retention_ms) : retention_ms_(retention_ms) {}
  std::unique_ptr<rocksdb::CompactionFilter> CreateCompactionFilter(
      const rocksdb::CompactionFilter::Context&) override {
    return std::make_unique<ExpiryFilter>(retention_ms_);
  }
  const char* Name() const override { return "lens.ExpiryFilterFactory"; }

 private:
  int64_t retention_ms_;
};

// The process's memory budgets (memory_budget.h), shared by the stores
// opened after they are set.
std::mutex budget_mu;
std::shared_ptr<rocksdb::WriteBufferManager> memtable_budget;
struct SharedBlockCache {
  std::shared_ptr<rocksdb::Cache> cache;
  bool holds_index_and_filters = false;
};
SharedBlockCache shared_block_cache;
std::shared_ptr<PointCache> point_cache;
std::atomic<uint32_t> next_cache_id{1};

std::shared_ptr<rocksdb::WriteBufferManager> CurrentMemtableBudget() {
  std::lock_guard<std::mutex> lock(budget_mu);
  return memtable_budget;
}

SharedBlockCache CurrentSharedBlockCache() {
  std::lock_guard<std::mutex> lock(budget_mu);
  return shared_block_cache;
}

std::shared_ptr<PointCache> CurrentPointCache() {
  std::lock_guard<std::mutex> lock(budget_mu);
  return point_cache;
}

// Drops a committed batch's keys of cached families from the point cache.
class Invalidator : public rocksdb::WriteBatch::Handler {
 public:
  explicit Invalidator(std::function<void(uint32_t, const rocksdb::Slice&)> key,
                       std::function<void(uint32_t)> family)
      : key_(std::move(key)), family_(std::move(family)) {}
  rocksdb::Status PutCF(uint32_t cf, const rocksdb::Slice& key, const rocksdb::Slice&) override {
    key_(cf, key);
    return rocksdb::Status::OK();
  }
  rocksdb::Status DeleteCF(uint32_t cf, const rocksdb::Slice& key) override {
    key_(cf, key);
    return rocksdb::Status::OK();
  }
  rocksdb::Status SingleDeleteCF(uint32_t cf, const rocksdb::Slice& key) override {
    key_(cf, key);
    return rocksdb::Status::OK();
  }
  rocksdb::Status MergeCF(uint32_t cf, const rocksdb::Slice& key, const rocksdb::Slice&) override {
    key_(cf, key);
    return rocksdb::Status::OK();
  }
  rocksdb::Status DeleteRangeCF(uint32_t cf, const rocksdb::Slice&, const rocksdb::Slice&) override {
    family_(cf);
    return rocksdb::Status::OK();
  }

 private:
  std::function<void(uint32_t, const rocksdb::Slice&)> key_;
  std::function<void(uint32_t)> family_;
};

}  // namespace

void SetPointCacheBudget(size_t bytes) {
  std::lock_guard<std::mutex> lock(budget_mu);
  point_cache = bytes == 0 ? nullptr : std::make_shared<PointCache>(bytes);
}

std::shared_ptr<PointCache> SharedPointCache() { return CurrentPointCache(); }

void SetMemtableBudget(size_t bytes) {
  std::lock_guard<std::mutex> lock(budget_mu);
  memtable_budget = bytes == 0 ? nullptr : std::make_shared<rocksdb::WriteBufferManager>(bytes);
}

void SetBlockCacheBudget(size_t bytes, bool index_and_filters) {
  std::lock_guard<std::mutex> lock(budget_mu);
  if (bytes == 0) {
    shared_block_cache = {};
    return;
  }
  rocksdb::LRUCacheOptions o;
  o.capacity = bytes;
  // Index and filter partitions, when the cache holds them, go to the
  // high-priority pool: a scan of cold data evicts data blocks before the
  // metadata every read needs.
  o.high_pri_pool_ratio = index_and_filters ? 0.25 : 0.0;
  shared_block_cache = {rocksdb::NewLRUCache(o), index_and_filters};
}

size_t SharedBlockCacheUsage() {
  std::shared_ptr<rocksdb::Cache> cache = CurrentSharedBlockCache().cache;
  return cache ? cache->GetUsage() : 0;
}

absl::StatusOr<std::unique_ptr<Store>> Store::Open(const StoreOptions& options) {
  std::error_code ec;
  std::filesystem::create_directories(
      options.secondary_path.empty() ? options.path : options.secondary_path, ec);
  if (ec) return absl::UnavailableError("cannot create " + options.path + ": " + ec.message());

  rocksdb::BlockBasedTableOptions table;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  const SharedBlockCache shared = CurrentSharedBlockCache();
  table.block_cache = shared.cache;
  if (!table.block_cache) table.block_cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  if (shared.holds_index_and_filters) {
    // Index and filters in the budget too, partitioned (memory_budget.h):
    // only the small top level of each is pinned, with the whole of the
    // newest files' (level 0, read by every lookup). Each lookup then finds
    // its index and filter partitions in the cache.
    table.cache_index_and_filter_blocks = true;
    table.cache_index_and_filter_blocks_with_high_priority = true;
    table.pin_top_level_index_and_filter = true;
    table.pin_l0_filter_and_index_blocks_in_cache = true;
    table.index_type = rocksdb::BlockBasedTableOptions::kTwoLevelIndexSearch;
    table.partition_filters = true;
  }
  // Point reads dominate the query side (a feed page is ~100 of them): a
  // hash index inside each data block finds a key without a binary search.
  table.data_block_index_type = rocksdb::BlockBasedTableOptions::kDataBlockBinaryAndHash;
  rocksdb::ColumnFamilyOptions cf_options;
  // A bloom filter over each memtable's keys: a point read of a key the
  // memtable does not hold (most of them, once the model is flushed; every
  // "has the viewer liked it") skips the skip-list search. 0.64 MiB per
  // 64 MiB memtable, about 8 bits per key.
  cf_options.memtable_prefix_bloom_size_ratio = 0.01;
  cf_options.memtable_whole_key_filtering = true;
  cf_options.merge_operator = std::make_shared<LensMergeOperator>();
  cf_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));

  rocksdb::DBOptions db_options;
  db_options.create_if_missing = options.create_if_missing;
  db_options.create_missing_column_families = true;
  db_options.max_background_jobs = 2;
  db_options.keep_log_file_num = 3;
  db_options.write_buffer_manager = CurrentMemtableBudget();

  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  descriptors.emplace_back(rocksdb::kDefaultColumnFamilyName, cf_options);
  rocksdb::ColumnFamilyOptions hot_options = cf_options;
  hot_options.max_successive_merges = 32;
  for (const auto& name : options.column_families) {
    bool hot = std::find(options.hot_counter_families.begin(), options.hot_counter_families.end(),
                         name) != options.hot_counter_families.end();
    rocksdb::ColumnFamilyOptions options_for_family = hot ? hot_options : cf_options;
    if (auto it = options.expiring_families_ms.find(name); it != options.expiring_families_ms.end())
      options_for_family.compaction_filter_factory =
          std::make_shared<ExpiryFilterFactory>(it->second);
    descriptors.emplace_back(name, options_for_family);
  }

  auto store = std::unique_ptr<Store>(new Store());
  store->path_ = options.path;
  rocksdb::Status s;
  if (options.secondary_path.empty()) {
    s = rocksdb::DB::Open(db_options, options.path, descriptors, &store->handles_, &store->db_);
  } else {
    store->secondary_ = true;
    db_options.max_open_files = -1;  // required of secondary instances
    db_options.create_if_missing = false;
    s = rocksdb::DB::OpenAsSecondary(db_options, options.path, options.secondary_path, descriptors,
                                     &store->handles_, &store->db_);
  }
  if (!s.ok()) return FromRocks(s);
  for (size_t i = 0; i < descriptors.size(); ++i)
    store->by_name_[descriptors[i].name] = store->handles_[i];
  if (std::shared_ptr<PointCache> cache = CurrentPointCache();
      cache && !store->secondary_ && !options.cached_families.empty()) {
    for (const std::string& name : options.cached_families) {
      if (options.expiring_families_ms.count(name))
        return absl::InvalidArgumentError("column family " + name +
                                          " expires: it cannot be point-cached");
      auto it = store->by_name_.find(name);
      if (it == store->by_name_.end())
        return absl::InvalidArgumentError("cached column family " + name + " is not opened");
      const uint32_t id = it->second->GetID();
      if (store->cached_.size() <= id) store->cached_.resize(id + 1, false);
      store->cached_[id] = true;
    }
    store->point_cache_ = std::move(cache);
    store->cache_id_ = next_cache_id.fetch_add(1);
  }
  return store;
}

Store::~Store() {
  if (db_ == nullptr) return;
  for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
  handles_.clear();
  db_->Close();
  delete db_;
}

std::string Store::CacheKey(uint32_t family_id, std::string_view key) const {
  std::string k;
  k.reserve(8 + key.size());
  AppendBigEndian32(&k, cache_id_);
  AppendBigEndian32(&k, family_id);
  k.append(key);
  return k;
}

bool Store::Cached(const rocksdb::ColumnFamilyHandle* handle) const {
  if (point_cache_ == nullptr) return false;
  const uint32_t id = handle->GetID();
  return id < cached_.size() && cached_[id];
}

absl::StatusOr<std::optional<std::string>> Store::Get(std::string_view cf,
                                                      std::string_view key) const {
  rocksdb::ColumnFamilyHandle* handle = this->cf(cf);
  std::string cache_key;
  uint64_t ticket = 0;
  const bool cached = Cached(handle);
  if (cached) {
    cache_key = CacheKey(handle->GetID(), key);
    std::optional<std::string> hit;
    if (point_cache_->Lookup(cache_key, &hit, &ticket)) return hit;
  }
  std::optional<std::string> out;
  std::string value;
  rocksdb::Status s =
      db_->Get(rocksdb::ReadOptions(), handle, rocksdb::Slice(key.data(), key.size()), &value);
  if (s.ok()) {
    out = std::move(value);
  } else if (!s.IsNotFound()) {
    return FromRocks(s);
  }
  if (cached) point_cache_->Fill(cache_key, out, ticket);
  return out;
}

absl::StatusOr<std::vector<std::optional<std::string>>> Store::MultiGet(
    std::string_view cf, const std::vector<std::string>& keys) const {
  std::vector<std::optional<std::string>> out(keys.size());
  if (keys.empty()) return out;
  rocksdb::ColumnFamilyHandle* handle = this->cf(cf);
  const bool cached = Cached(handle);
  // The keys the cache does not answer, with their cache keys and tickets.
  std::vector<size_t> missed;
  std::vector<std::string> cache_keys;
  std::vector<uint64_t> tickets;
  if (cached) {
    missed.reserve(keys.size());
    for (size_t i = 0; i < keys.size(); ++i) {
      std::string k = CacheKey(handle->GetID(), keys[i]);
      uint64_t ticket;
      if (point_cache_->Lookup(k, &out[i], &ticket)) continue;
      missed.push_back(i);
      cache_keys.push_back(std::move(k));
      tickets.push_back(ticket);
    }
    if (missed.empty()) return out;
  } else {
    missed.resize(keys.size());
    for (size_t i = 0; i < keys.size(); ++i) missed[i] = i;
  }
  std::vector<rocksdb::Slice> slices;
  slices.reserve(missed.size());
  for (size_t i : missed) slices.emplace_back(keys[i]);
  std::vector<rocksdb::PinnableSlice> values(missed.size());
  std::vector<rocksdb::Status> statuses(missed.size());
  db_->MultiGet(rocksdb::ReadOptions(), handle, missed.size(), slices.data(), values.data(),
                statuses.data());
  for (size_t j = 0; j < missed.size(); ++j) {
    if (!statuses[j].ok() && !statuses[j].IsNotFound()) return FromRocks(statuses[j]);
    std::optional<std::string>& v = out[missed[j]];
    if (statuses[j].ok()) v.emplace(values[j].data(), values[j].size());
    if (cached) point_cache_->Fill(cache_keys[j], v, tickets[j]);
  }
  return out;
}

absl::Status Store::Write(const rocksdb::WriteOptions& options, rocksdb::WriteBatch* batch) {
  rocksdb::Status s = db_->Write(options, batch);
  if (point_cache_ == nullptr) return FromRocks(s);
  // Even after a failed write: it may have reached the memtables (a failed
  // WAL sync), and dropping a value the store still holds is always safe.
  Invalidator invalidator(
      [&](uint32_t family, const rocksdb::Slice& key) {
        if (family < cached_.size() && cached_[family])
          point_cache_->Invalidate(CacheKey(family, key.ToStringView()));
      },
      [&](uint32_t family) {
        if (family < cached_.size() && cached_[family]) point_cache_->Clear();
      });
  if (!batch->Iterate(&invalidator).ok()) point_cache_->Clear();
  return FromRocks(s);
}

absl::Status Store::Checkpoint(const std::string& dir) const {
  rocksdb::Checkpoint* raw = nullptr;
  rocksdb::Status s = rocksdb::Checkpoint::Create(db_, &raw);
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  if (s.ok()) s = checkpoint->CreateCheckpoint(dir);
  if (!s.ok()) return absl::UnavailableError("checkpoint of " + path_ + " failed: " + s.ToString());
  return absl::OkStatus();
}

absl::Status Store::CatchUp() {
  if (!secondary_) return absl::OkStatus();
  return FromRocks(db_->TryCatchUpWithPrimary());
}

rocksdb::ColumnFamilyHandle* Store::cf(std::string_view name) const {
  auto it = by_name_.find(name);
  if (it == by_name_.end()) std::abort();
  return it->second;
}

}  // namespace lens
