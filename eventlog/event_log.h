// EventLog: the durable, partitioned, append-only log that is lens's only
// source of truth. Two backends share these semantics:
//   - EmbeddedEventLog (RocksDB in the data directory, group commit, fsync
//     before an append is acknowledged);
//   - KafkaEventLog (librdkafka, idempotent producer, acks=all).
//
// Records with the same key go to the same partition (PartitionFor), and
// appear there in the order their appends were acknowledged; one Append call
// keeps the order of its records. An acknowledged record is never lost.
//
// Thread-safety: Append, EndOffset and OpenReader may be called from any
// thread concurrently. A LogReader is used by one thread at a time.
#ifndef LENS_EVENTLOG_EVENT_LOG_H_
#define LENS_EVENTLOG_EVENT_LOG_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "eventlog/log_position.h"

namespace lens {

struct LogRecord {
  std::string key;    // partition key, e.g. "user:123"
  std::string value;  // the encoded event envelope
};

struct StoredRecord {
  LogPosition pos;
  std::string key;
  std::string value;
};

// Reads records from a set of partitions, each in offset order.
class LogReader {
 public:
  virtual ~LogReader() = default;
  // Returns up to `max_records` records, waiting up to `timeout` while none
  // is available (an empty vector then). Records of one partition come in
  // offset order, without gaps. An error for a broken log or connection.
  virtual absl::StatusOr<std::vector<StoredRecord>> Poll(size_t max_records,
                                                         absl::Duration timeout) = 0;
};

// Sees every group of records as soon as the log has made it durable: on
// the log's writer thread, in offset order per partition, before the
// appends that wrote them are acknowledged. It must be quick (every append
// waits for it) and must not append.
class CommitObserver {
 public:
  virtual ~CommitObserver() = default;
  virtual void OnDurable(const std::vector<StoredRecord>& records) = 0;
};

class EventLog {
 public:
  virtual ~EventLog() = default;

  virtual std::string_view backend() const = 0;  // "embedded" or "kafka"
  virtual uint32_t partition_count() const = 0;

  // The partition of `key`: Kafka's murmur2 partitioner (the one Java
  // clients use), so that other producers of the topic agree with lens.
  uint32_t PartitionFor(std::string_view key) const;

  // Appends `records` and returns their positions, in order, once every one
  // of them is durable. On error, the caller must assume nothing was
  // acknowledged (the embedded log appends all or nothing; Kafka may have
  // written a prefix, which a retry of the same command deduplicates).
  // Unavailable when the log cannot take writes (broker down, fatal error,
  // shutting down), DeadlineExceeded when delivery timed out.
  virtual absl::StatusOr<std::vector<LogPosition>> Append(std::vector<LogRecord> records) = 0;

  // The offset the next record appended to `partition` will get (the
  // number of records in it, as offsets start at 0).
  virtual absl::StatusOr<uint64_t> EndOffset(uint32_t partition) = 0;

  // Opens a reader at `start_offsets` (partition, first offset to read);
  // partitions not listed are not read.
  virtual absl::StatusOr<std::unique_ptr<LogReader>> OpenReader(
      const std::vector<std::pair<uint32_t, uint64_t>>& start_offsets) = 0;

  // Ok while the log accepts writes; the reason otherwise (for /readyz).
  virtual absl::Status Health() = 0;

  // A consistent copy of the log in `dir` (a new directory), holding at
  // least every append acknowledged before the call. Unimplemented for a
  // log that lives elsewhere (Kafka keeps its own replicas).
  virtual absl::Status Checkpoint(const std::string& /*dir*/) {
    return absl::UnimplementedError("this event log is not stored by the node");
  }

  // Registers the one observer of this log's commits (nullptr: none). When
  // it returns, the previous observer is not being called and never will
  // be again. Unimplemented for a log whose commits this process does not
  // make (Kafka: other producers write the same topic).
  virtual absl::Status SetCommitObserver(CommitObserver* /*observer*/) {
    return absl::UnimplementedError("this event log's commits are not made here");
  }

  // Stops accepting appends, completes the in-flight ones, and releases
  // resources. Idempotent; also run by the destructor.
  virtual void Close() = 0;
};

// Kafka's murmur2 hash of `key` (org.apache.kafka.common.utils.Utils.murmur2).
uint32_t KafkaMurmur2(std::string_view key);

}  // namespace lens

#endif  // LENS_EVENTLOG_EVENT_LOG_H_
