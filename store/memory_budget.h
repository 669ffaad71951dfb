// The memory budgets every Store a process opens shares: one for memtables,
// one block cache.
//
// Each column family buffers writes in its own memtables (64 MiB each
// before a flush), and a node has about fifty column families over its
// stores: left alone, their memtables grow with the write load until each
// fills, gigabytes in all. A memtable budget (RocksDB's WriteBufferManager)
// bounds their sum: past seven eighths of it, the store being written
// flushes one of its memtables.
//
// Reads go through a block cache. With one per store, a node held seven
// whether or not they were read; one shared by all stores gives the room to
// the store being read. The tables' index and filter blocks are held whole
// by the open table files, outside the cache, and grow with the data (half
// a gigabyte for the home feeds at 100,000 users): every write's "is it
// there already?" check needs the filters, so this is what keeps them
// resident. A node that must bound its memory whatever the data puts them
// in the cache too (`index_and_filters`), partitioned so that only the
// parts in use are resident, and pays for it in lookups: at scale 0.2,
// where everything fits either way, feed reads were 15-25% slower.
#ifndef LENS_STORE_MEMORY_BUDGET_H_
#define LENS_STORE_MEMORY_BUDGET_H_

#include <cstddef>
#include <memory>

namespace lens {

class PointCache;

// Both apply to the stores opened from now on. 0 (the default): no
// memtable budget; each store its own block cache of
// StoreOptions::block_cache_bytes.
void SetMemtableBudget(size_t bytes);
void SetBlockCacheBudget(size_t bytes, bool index_and_filters = false);

// The shared block cache's usage in bytes; 0 without one.
size_t SharedBlockCacheUsage();

// The point cache (point_cache.h) of the stores opened from now on that
// name cached families; 0 (the default): none.
void SetPointCacheBudget(size_t bytes);
// The shared point cache, for its figures; null without one.
std::shared_ptr<PointCache> SharedPointCache();

}  // namespace lens

#endif  // LENS_STORE_MEMORY_BUDGET_H_
