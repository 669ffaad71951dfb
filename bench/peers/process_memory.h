// Memory of the peer's server processes, read from /proc on this machine.
//
// PostgreSQL is a postmaster and one process per connection, all mapping
// the same shared_buffers: summing their resident sizes (VmRSS or VmHWM)
// would count every shared page once per backend that touched it. The
// proportional set size (Pss) charges a shared page to its mappers in
// shares, so the Pss of all the processes adds up to the memory they use.
// Pss is current, not a peak, so measure while the load's connections are
// still open. The kernel's page cache (which PostgreSQL relies on beyond
// shared_buffers) is not counted.
#ifndef LENS_BENCH_PEERS_PROCESS_MEMORY_H_
#define LENS_BENCH_PEERS_PROCESS_MEMORY_H_

#include <sys/types.h>

#include <cstdint>
#include <vector>

namespace lens::bench::peers {

// The parent of `pid`; 0 if unknown.
pid_t ParentPid(pid_t pid);
// The processes whose parent is `pid`.
std::vector<pid_t> ChildrenOf(pid_t pid);
// `pid`'s proportional set size in KiB (smaps_rollup); 0 if it cannot be
// read (gone, or another user's process without the right to read it).
uint64_t PssKb(pid_t pid);
// `pid` and its children, summed.
uint64_t ProcessTreePssKb(pid_t pid);

}  // namespace lens::bench::peers

#endif  // LENS_BENCH_PEERS_PROCESS_MEMORY_H_
