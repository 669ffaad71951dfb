// PointCache: the results of point reads (a key's value, or that it is
// absent) kept in memory, bounded in bytes, least recently used first out.
//
// A feed page makes about 150 point reads of the read models, most of them
// of values that rarely change (posts, profiles) or that the same viewers
// read again (their follows, the counts of the posts they see). Each one
// through RocksDB costs a memtable probe, a bloom check and a block search
// per level; a hit here costs a hash lookup.
//
// The cache is only correct if every write to a cached key invalidates it
// after it is committed, and a read that missed fills the cache only if no
// invalidation of that key's shard came in between: the miss hands out a
// ticket (the shard's generation), Fill drops the value when the
// generation moved. Then a value read before a commit can never land in
// the cache after that commit's invalidation:
//
//   reader: Lookup (miss, ticket g) -> read the store -> Fill(ticket g)
//   writer:                commit -> Invalidate (generation g+1)
//
// either the read saw the commit, or the invalidation comes after the read
// began and so either erases the filled value or makes Fill drop it.
// Store (store.h) does both halves for the column families it caches.
//
// Thread-safe; the shards lock independently.
#ifndef LENS_STORE_POINT_CACHE_H_
#define LENS_STORE_POINT_CACHE_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"

namespace lens {

class PointCache {
 public:
  explicit PointCache(size_t capacity_bytes);
  PointCache(const PointCache&) = delete;
  PointCache& operator=(const PointCache&) = delete;

  // On a hit, sets *value (nullopt: the key is known to be absent) and
  // returns true. On a miss returns false and sets *ticket, which Fill
  // needs.
  bool Lookup(std::string_view key, std::optional<std::string>* value, uint64_t* ticket);
  // Caches what a read of `key` that began after the miss that issued
  // `ticket` returned, unless the key's shard was invalidated since.
  void Fill(std::string_view key, std::optional<std::string> value, uint64_t ticket);
  // Forgets `key`; a fill with an earlier ticket will be dropped.
  void Invalidate(std::string_view key);
  // Forgets everything (a range deletion, a batch it could not read).
  void Clear();

  size_t capacity() const { return capacity_; }
  size_t usage() const;  // bytes charged, keys and values included
  uint64_t hits() const { return hits_.load(std::memory_order_relaxed); }
  uint64_t misses() const { return misses_.load(std::memory_order_relaxed); }

 private:
  struct Entry {
    std::string key;
    std::optional<std::string> value;
    size_t charge;
  };
  struct Shard {
    mutable absl::Mutex mu;
    std::list<Entry> lru ABSL_GUARDED_BY(mu);  // most recently used first
    absl::flat_hash_map<std::string_view, std::list<Entry>::iterator> index ABSL_GUARDED_BY(mu);
    size_t usage ABSL_GUARDED_BY(mu) = 0;
    uint64_t generation ABSL_GUARDED_BY(mu) = 0;
  };
  // Enough shards that the query threads rarely meet on one lock, and that
  // an invalidation (every like invalidates its post's counts) rarely
  // drops an unrelated fill.
  static constexpr size_t kShards = 64;

  Shard& ShardOf(std::string_view key);
  static void EraseLocked(Shard& shard, std::list<Entry>::iterator it)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(shard.mu);

  const size_t capacity_;
  const size_t shard_capacity_;
  std::unique_ptr<Shard[]> shards_;
  std::atomic<uint64_t> hits_{0}, misses_{0};
};

}  // namespace lens

#endif  // LENS_STORE_POINT_CACHE_H_
