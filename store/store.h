// Store: one RocksDB database with named column families, as a read model
// (or the command side's decision state) uses it.
//
// Every column family is opened with one merge operator that sums int64
// counters and folds posting blocks (store/posting_block.h), so neither
// needs a read-modify-write.
// Thread-safety: as rocksdb::DB; the handles live as long as the Store.
#ifndef LENS_STORE_STORE_H_
#define LENS_STORE_STORE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "rocksdb/db.h"

namespace lens {

struct StoreOptions {
  std::string path;
  std::vector<std::string> column_families;  // besides "default"
  bool create_if_missing = true;
  size_t block_cache_bytes = 64 << 20;  // shared by all column families
  // Non-empty: open as a RocksDB secondary instance (read-only, safe beside
  // the process that owns the database; see CatchUp), keeping its own
  // files in this directory. For tools that inspect a live node.
  std::string secondary_path;
  // Column families of counters that many writers hit and readers read
  // often (a viral post's likes): RocksDB folds their merge operands into
  // one value past a few dozen, so a read never walks thousands of them.
  // It costs a memtable lookup per merge written, so not for every family.
  std::vector<std::string> hot_counter_families;
  // Column families whose values start with a BE64 timestamp (ms since the
  // epoch): compactions drop values older than the family's retention, so
  // they need no trimming by their writers (live-stream logs).
  std::map<std::string, int64_t> expiring_families_ms;
  // Column families whose point reads (Get, MultiGet) go through the
  // process's point cache (SetPointCacheBudget in memory_budget.h; none
  // without one), for values the query side reads again and again. Only
  // writes through Store::Write invalidate it, so every writer of these
  // families must use it. Not for expiring families, whose compactions
  // drop values behind the cache's back; ignored by secondary instances.
  std::vector<std::string> cached_families;
};

class PointCache;

class Store {
 public:
  // Opens or creates the database; missing column families are created.
  static absl::StatusOr<std::unique_ptr<Store>> Open(const StoreOptions& options);

  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;
  ~Store();  // destroys the column family handles, then the DB

  rocksdb::DB* db() const { return db_; }
  const std::string& path() const { return path_; }
  // The handle of a column family named at Open; "default" always exists.
  // Aborts on an unknown name (a programming error, not an input error).
  rocksdb::ColumnFamilyHandle* cf(std::string_view name) const;

  // The value of `key` in column family `cf`; nullopt when absent.
  absl::StatusOr<std::optional<std::string>> Get(std::string_view cf, std::string_view key) const;
  // The values of `keys` in `cf`, in the order of `keys` (nullopt: absent),
  // read at one point in time (in a cached family: each key's latest
  // committed value, the misses read at one point). One RocksDB MultiGet:
  // a page's worth of point reads costs one version lookup and shares the
  // block reads.
  absl::StatusOr<std::vector<std::optional<std::string>>> MultiGet(
      std::string_view cf, const std::vector<std::string>& keys) const;

  // Commits `batch` (one rocksdb::DB::Write), then drops from the point
  // cache every key of a cached family it wrote: the one way to write a
  // store with cached families.
  absl::Status Write(const rocksdb::WriteOptions& options, rocksdb::WriteBatch* batch);

  // A consistent copy of the whole database in `dir` (which must not
  // exist), as of now: RocksDB hard-links the SST files where it can, so it
  // is cheap on the same file system.
  absl::Status Checkpoint(const std::string& dir) const;

  // Secondary instances only: reads what the owner wrote since the last call.
  absl::Status CatchUp();
  bool secondary() const { return secondary_; }

 private:
  Store() = default;
  // The point cache's key for `key` in the family with this id: the
  // store's own id first, as one cache serves every store of the process
  // (a closed store's entries, never looked up again, age out).
  std::string CacheKey(uint32_t family_id, std::string_view key) const;
  bool Cached(const rocksdb::ColumnFamilyHandle* handle) const;

  std::string path_;
  bool secondary_ = false;
  rocksdb::DB* db_ = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::map<std::string, rocksdb::ColumnFamilyHandle*, std::less<>> by_name_;
  std::shared_ptr<PointCache> point_cache_;  // null: nothing cached
  uint32_t cache_id_ = 0;                    // unique per Store of the process
  std::vector<bool> cached_;                 // by column family id
};

// Value encoding of the int64 counters the merge operator maintains.
std::string EncodeCounter(int64_t v);
int64_t DecodeCounter(std::string_view v);  // 0 for an empty/short value

}  // namespace lens

#endif  // LENS_STORE_STORE_H_
