// KafkaEventLog: the scale-out backend, on librdkafka.
//
// One topic holds every event; its partition count is the log's. The
// producer is idempotent (enable.idempotence=true, acks=all), so a retry
// inside librdkafka never duplicates or reorders a record; every record is
// produced to the partition EventLog::PartitionFor chose. Append returns
// once the broker acknowledged every record (the delivery report carries the
// offset). Consumers do not use Kafka consumer-group offsets: each read
// model keeps its own checkpoint and opens a reader at it. A reader whose
// start offset the partition does not hold (past its end, or removed by
// retention) fails with OutOfRange instead of jumping elsewhere.
//
// A broker error surfaces as an error from Append within
// delivery_timeout_ms (plus at most 2 s), never as a hang. A fatal producer
// error (RD_KAFKA_RESP_ERR__FATAL, e.g. a fenced idempotent producer) stops
// production: Append and Health return Unavailable from then on.
#ifndef LENS_EVENTLOG_KAFKA_EVENT_LOG_H_
#define LENS_EVENTLOG_KAFKA_EVENT_LOG_H_

#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "eventlog/event_log.h"

namespace lens {

struct KafkaLogOptions {
  std::string brokers;  // bootstrap.servers, "host:port[,...]"
  std::string topic = "lens.events";
  uint32_t partitions = 8;  // must match the topic's (checked at open)
  // message.timeout.ms: bounds Append (which gives librdkafka 2 s more to
  // report before it gives up waiting), and each broker query (the topic
  // check at open, EndOffset). Must be positive.
  int delivery_timeout_ms = 10000;
  int linger_ms = 1;           // producer batching window
  int fetch_wait_max_ms = 10;  // consumer fetch wait at the broker (freshness)
  // More librdkafka settings (security, tuning), for the producer and the
  // readers alike. Those lens sets itself (idempotence, acks, timeouts,
  // group and offset handling) are rejected with InvalidArgument.
  std::map<std::string, std::string> extra;
};

// Connects, checks that the topic exists with options.partitions
// partitions (NotFound / FailedPrecondition otherwise) and starts the
// producer. Unavailable or DeadlineExceeded when no broker answers within
// delivery_timeout_ms; InvalidArgument for bad options. Never creates the
// topic.
absl::StatusOr<std::unique_ptr<EventLog>> OpenKafkaEventLog(const KafkaLogOptions& options);

}  // namespace lens

#endif  // LENS_EVENTLOG_KAFKA_EVENT_LOG_H_
