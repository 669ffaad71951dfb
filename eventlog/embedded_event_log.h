// EmbeddedEventLog: the default backend, a durable append-only log kept in
// RocksDB inside the node's data directory.
//
// Layout: one record per RocksDB key, key = partition (4 bytes, big-endian)
// + offset (8 bytes, big-endian), so a partition is one contiguous,
// offset-ordered range. A meta key pins the partition count: reopening with
// another count fails rather than breaking per-key order.
//
// Group commit: appenders queue their records; a single writer thread takes
// everything queued, assigns offsets, writes one WriteBatch with sync=true
// (fsync of the WAL) and then acknowledges all of them. Readers only see
// records up to the durable high-water mark of each partition.
#ifndef LENS_EVENTLOG_EMBEDDED_EVENT_LOG_H_
#define LENS_EVENTLOG_EMBEDDED_EVENT_LOG_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "eventlog/event_log.h"

namespace lens {

struct EmbeddedLogOptions {
  std::string dir;                  // created if missing
  uint32_t partitions = 8;          // fixed at creation
  bool sync = true;                 // fsync before acknowledging (false only in benchmarks)
  size_t max_batch_records = 4096;  // per group commit
  // Non-empty: open read-only beside the node that owns the log (a RocksDB
  // secondary instance keeping its files here), for inspection tools.
  // Appends fail; readers and EndOffset see new records as the owner
  // writes them. `partitions` 0 then means "as the log was created".
  std::string secondary_dir;
};

// Opens (or creates) the log at options.dir.
absl::StatusOr<std::unique_ptr<EventLog>> OpenEmbeddedEventLog(const EmbeddedLogOptions& options);

}  // namespace lens

#endif  // LENS_EVENTLOG_EMBEDDED_EVENT_LOG_H_
