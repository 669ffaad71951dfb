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
// Reads go through a block cache, which holds data, index and filter blocks
// alike (index and filters partitioned, so that only the partitions in use
// are resident, at high priority): kept outside it, the index and filters
// of every table file grew with the data (half a gigabyte for the home
// feeds at 100,000 users). With one cache per store, a node held seven
// whether or not they were read; one shared by all stores gives the room
// to the store being read, and bounds the read side's memory by its size
// whatever the data's.
#ifndef LENS_STORE_MEMORY_BUDGET_H_
#define LENS_STORE_MEMORY_BUDGET_H_

#include <cstddef>

namespace lens {

// Both apply to the stores opened from now on. 0 (the default): no
// memtable budget; each store its own block cache of
// StoreOptions::block_cache_bytes, with the index and filters outside it,
// held whole by the open table files (faster lookups, memory that grows
// with the data).
void SetMemtableBudget(size_t bytes);
void SetBlockCacheBudget(size_t bytes);

// The shared block cache's usage in bytes; 0 without one.
size_t SharedBlockCacheUsage();

}  // namespace lens

#endif  // LENS_STORE_MEMORY_BUDGET_H_
