// One memtable budget for every Store a process opens.
//
// Each column family buffers writes in its own memtables (64 MiB each
// before a flush), and a node has about fifty column families over its
// stores: left alone, their memtables grow with the write load until each
// fills, gigabytes in all. A budget (RocksDB's WriteBufferManager, shared
// by every store opened after it is set) bounds their sum: past seven
// eighths of it, the store being written flushes its largest memtable.
#ifndef LENS_STORE_MEMTABLE_BUDGET_H_
#define LENS_STORE_MEMTABLE_BUDGET_H_

#include <cstddef>

namespace lens {

// Applies to the stores opened from now on. 0: no budget (the default).
void SetMemtableBudget(size_t bytes);

}  // namespace lens

#endif  // LENS_STORE_MEMTABLE_BUDGET_H_
