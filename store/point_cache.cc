#include "store/point_cache.h"

#include "absl/hash/hash.h"

namespace lens {

namespace {
// What an entry costs besides its key and value: the list node, the index
// slot and the strings' headers, roughly.
constexpr size_t kEntryOverhead = 96;
}  // namespace

PointCache::PointCache(size_t capacity_bytes)
    : capacity_(capacity_bytes),
      shard_capacity_(capacity_bytes / kShards),
      shards_(new Shard[kShards]) {}

PointCache::Shard& PointCache::ShardOf(std::string_view key) {
  // The top bits: the shard's hash map places and tags its entries by the
  // lower ones, which would otherwise all be alike within a shard.
  static_assert(kShards == 64);
  return shards_[absl::Hash<std::string_view>{}(key) >> 58];
}

void PointCache::EraseLocked(Shard& shard, std::list<Entry>::iterator it) {
  shard.usage -= it->charge;
  shard.index.erase(std::string_view(it->key));
  shard.lru.erase(it);
}

bool PointCache::Lookup(std::string_view key, std::optional<std::string>* value,
                        uint64_t* ticket) {
  Shard& shard = ShardOf(key);
  absl::MutexLock lock(&shard.mu);
  auto found = shard.index.find(key);
  if (found == shard.index.end()) {
    *ticket = shard.generation;
    misses_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  shard.lru.splice(shard.lru.begin(), shard.lru, found->second);
  *value = found->second->value;
  hits_.fetch_add(1, std::memory_order_relaxed);
  return true;
}

void PointCache::Fill(std::string_view key, std::optional<std::string> value, uint64_t ticket) {
  const size_t charge = key.size() + (value ? value->size() : 0) + kEntryOverhead;
  if (charge > shard_capacity_) return;
  Shard& shard = ShardOf(key);
  absl::MutexLock lock(&shard.mu);
  if (shard.generation != ticket) return;
  if (auto found = shard.index.find(key); found != shard.index.end())
    EraseLocked(shard, found->second);
  shard.lru.push_front(Entry{std::string(key), std::move(value), charge});
  shard.index.emplace(std::string_view(shard.lru.front().key), shard.lru.begin());
  shard.usage += charge;
  while (shard.usage > shard_capacity_) EraseLocked(shard, std::prev(shard.lru.end()));
}

void PointCache::Invalidate(std::string_view key) {
  Shard& shard = ShardOf(key);
  absl::MutexLock lock(&shard.mu);
  ++shard.generation;
  if (auto found = shard.index.find(key); found != shard.index.end())
    EraseLocked(shard, found->second);
}

void PointCache::Clear() {
  for (size_t i = 0; i < kShards; ++i) {
    Shard& shard = shards_[i];
    absl::MutexLock lock(&shard.mu);
    ++shard.generation;
    shard.index.clear();
    shard.lru.clear();
    shard.usage = 0;
  }
}

size_t PointCache::usage() const {
  size_t total = 0;
  for (size_t i = 0; i < kShards; ++i) {
    absl::MutexLock lock(&shards_[i].mu);
    total += shards_[i].usage;
  }
  return total;
}

}  // namespace lens
