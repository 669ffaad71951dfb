#include "eventlog/kafka_event_log.h"

#include <librdkafka/rdkafka.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstring>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/log.h"
#include "base/status_macros.h"
#include "base/thread_name.h"

namespace lens {
namespace {

// Append waits this long beyond message.timeout.ms for its delivery
// reports. librdkafka reports a timed-out record within about a second
// (given reconnect.backoff.max.ms=1000, see BaseConf), so the margin is only
// a safety net against a report that never comes: Append cannot hang.
constexpr absl::Duration kDeliveryReportMargin = absl::Seconds(2);

// The poll thread sleeps on an eventfd that librdkafka (new events) and
// Close (stop) write to; this bounds a sleep should a wake-up ever be lost.
constexpr int kPollIntervalMs = 1000;

// Settings lens fixes itself: the guarantees of the log (idempotence, acks,
// the Append bound, no consumer-group offsets) depend on them, so `extra`
// may not change them.
const std::set<std::string, std::less<>>& ReservedSettings() {
  static const auto* const kReserved =
      new std::set<std::string, std::less<>>{"bootstrap.servers",      "metadata.broker.list",
                                             "enable.idempotence",     "acks",
                                             "request.required.acks",  "message.timeout.ms",
                                             "delivery.timeout.ms",    "linger.ms",
                                             "queue.buffering.max.ms", "group.id",
                                             "enable.auto.commit",     "enable.auto.offset.store",
                                             "auto.offset.reset",      "allow.auto.create.topics",
                                             "enable.partition.eof",   "transactional.id"};
  return *kReserved;
}

// The one adapter from librdkafka error codes to absl::Status. `context`
// says what failed ("delivery to lens.events[3]"). For ERR__FATAL, `rk`
// (if given) supplies the underlying error and its reason.
absl::Status KafkaStatus(rd_kafka_resp_err_t err, absl::string_view context,
                         rd_kafka_t* rk = nullptr) {
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return absl::OkStatus();
  std::string message =
      absl::StrCat("kafka: ", context, ": ", rd_kafka_err2name(err), ": ", rd_kafka_err2str(err));
  switch (err) {
    case RD_KAFKA_RESP_ERR__FATAL: {
      if (rk != nullptr) {
        char reason[512] = "";
        const rd_kafka_resp_err_t cause = rd_kafka_fatal_error(rk, reason, sizeof reason);
        if (cause != RD_KAFKA_RESP_ERR_NO_ERROR)
          absl::StrAppend(&message, " (", rd_kafka_err2name(cause), ": ", reason, ")");
      }
      return absl::UnavailableError(
          absl::StrCat(message, "; the producer has stopped, restart the process"));
    }
    case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
      return absl::DeadlineExceededError(message);
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
    case RD_KAFKA_RESP_ERR__RESOLVE:
    case RD_KAFKA_RESP_ERR__DESTROY:
    case RD_KAFKA_RESP_ERR__PURGE_QUEUE:
    case RD_KAFKA_RESP_ERR__PURGE_INFLIGHT:
    case RD_KAFKA_RESP_ERR__QUEUE_FULL:
    case RD_KAFKA_RESP_ERR__WAIT_COORD:
    case RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION:
    case RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION:
    case RD_KAFKA_RESP_ERR_BROKER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS:
    case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_COORDINATOR:
      return absl::UnavailableError(message);
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
      return absl::NotFoundError(message);
    case RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE:
    case RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET:
      return absl::OutOfRangeError(message);
    case RD_KAFKA_RESP_ERR__INVALID_ARG:
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_INVALID_MSG:
    case RD_KAFKA_RESP_ERR_INVALID_RECORD:
    case RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE:
      return absl::InvalidArgumentError(message);
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR__AUTHENTICATION:
    case RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED:
      return absl::PermissionDeniedError(message);
    default:
      // Codes below zero are librdkafka's own (misuse, unsupported
      // features); the others are a broker refusing for a reason lens has
      // no better answer to than "the log cannot take this now".
      return err < 0 ? absl::InternalError(message) : absl::UnavailableError(message);
  }
}

struct ConfDeleter {
  void operator()(rd_kafka_conf_t* conf) const { rd_kafka_conf_destroy(conf); }
};
struct HandleDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
struct PartitionListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* list) const {
    rd_kafka_topic_partition_list_destroy(list);
  }
};
struct MetadataDeleter {
  void operator()(const rd_kafka_metadata_t* md) const { rd_kafka_metadata_destroy(md); }
};
struct MessageDeleter {
  void operator()(rd_kafka_message_t* msg) const { rd_kafka_message_destroy(msg); }
};
using ConfPtr = std::unique_ptr<rd_kafka_conf_t, ConfDeleter>;
using HandlePtr = std::unique_ptr<rd_kafka_t, HandleDeleter>;

absl::Status SetConf(rd_kafka_conf_t* conf, const std::string& name, const std::string& value) {
  char errstr[512];
  if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), errstr, sizeof errstr) !=
      RD_KAFKA_CONF_OK)
    return absl::InvalidArgumentError(absl::StrCat("kafka: setting ", name, ": ", errstr));
  return absl::OkStatus();
}

// librdkafka's log lines (syslog levels) go to the process's structured log.
// Called from librdkafka's own threads; lens::Log is thread-safe.
void LogFromKafka(const rd_kafka_t* rk, int level, const char* facility, const char* text) {
  const LogLevel lens_level = level <= 3   ? LogLevel::kError
                              : level == 4 ? LogLevel::kWarn
                              : level <= 6 ? LogLevel::kInfo
                                           : LogLevel::kDebug;
  Log(lens_level, text,
      {{"component", "rdkafka"}, {"client", rd_kafka_name(rk)}, {"facility", facility}});
}

// The settings the producer and the readers share: brokers, logging, no
// topic auto-creation (a missing topic is a configuration error that must
// not be papered over with a default-sized topic), then `extra`.
absl::StatusOr<ConfPtr> BaseConf(const KafkaLogOptions& options) {
  ConfPtr conf(rd_kafka_conf_new());
  RETURN_IF_ERROR(SetConf(conf.get(), "bootstrap.servers", options.brokers));
  RETURN_IF_ERROR(SetConf(conf.get(), "client.id", "lens"));
  RETURN_IF_ERROR(SetConf(conf.get(), "allow.auto.create.topics", "false"));
  // librdkafka times out queued records, and notices that a broker is back,
  // only when that broker's thread wakes from its reconnect backoff. Its
  // default cap of 10 s let Append overrun delivery_timeout_ms by as much
  // while a broker was down; 1 s is the Java client's default.
  RETURN_IF_ERROR(SetConf(conf.get(), "reconnect.backoff.max.ms", "1000"));
  for (const auto& [name, value] : options.extra) RETURN_IF_ERROR(SetConf(conf.get(), name, value));
  rd_kafka_conf_set_log_cb(conf.get(), &LogFromKafka);
  return conf;
}

// Creates a client handle; takes `conf` only on success, as rd_kafka_new does.
absl::StatusOr<HandlePtr> NewHandle(rd_kafka_type_t type, ConfPtr conf) {
  char errstr[512];
  rd_kafka_t* rk = rd_kafka_new(type, conf.get(), errstr, sizeof errstr);
  if (rk == nullptr) return absl::InvalidArgumentError(absl::StrCat("kafka: ", errstr));
  conf.release();  // now owned by rk
  return HandlePtr(rk);
}

int ToTimeoutMs(absl::Duration d) {
  if (d <= absl::ZeroDuration()) return 0;
  const int64_t ms = absl::ToInt64Milliseconds(absl::Ceil(d, absl::Milliseconds(1)));
  return ms > INT_MAX ? INT_MAX : static_cast<int>(ms);
}

// The delivery state of one Append call, shared by the caller and the
// delivery reports of its records. Shared ownership lets a caller that gave
// up (the safety net in Append) leave while reports are still to come.
struct PendingAppend {
  explicit PendingAppend(size_t n) : outstanding(n), positions(n) {}

  absl::Mutex mu;
  size_t outstanding ABSL_GUARDED_BY(mu);  // records without a report yet
  std::vector<LogPosition> positions ABSL_GUARDED_BY(mu);
  absl::Status status ABSL_GUARDED_BY(mu);  // the first delivery error

  bool Done() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) { return outstanding == 0; }
};

// The per-message opaque: which record of which Append a report is for.
// Owned by librdkafka from a successful produce until the delivery report.
struct RecordRef {
  std::shared_ptr<PendingAppend> append;
  size_t index;
};

// A consumer with a manual assignment. A broker outage makes Poll return
// no records while librdkafka reconnects (it resumes at the right offsets);
// errors that stop a partition for good are reported, and stay reported.
class KafkaLogReader final : public LogReader {
 public:
  explicit KafkaLogReader(HandlePtr consumer) : consumer_(std::move(consumer)) {}

  ~KafkaLogReader() override {
    // No subscription and no commits: closing only leaves the (unused)
    // group membership and stops the fetchers.
    const rd_kafka_resp_err_t err = rd_kafka_consumer_close(consumer_.get());
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
      LogWarn("kafka reader close failed", {{"error", rd_kafka_err2str(err)}});
  }

  absl::StatusOr<std::vector<StoredRecord>> Poll(size_t max_records,
                                                 absl::Duration timeout) override {
    if (!broken_.ok()) return broken_;
    if (!deferred_.ok()) return std::exchange(deferred_, absl::OkStatus());
    std::vector<StoredRecord> records;
    const absl::Time deadline = absl::Now() + timeout;
    while (records.size() < max_records) {
      // Wait only while nothing has arrived; then take what is already
      // fetched and return, so a trickle of records is not held back.
      const int wait_ms = records.empty() ? ToTimeoutMs(deadline - absl::Now()) : 0;
      std::unique_ptr<rd_kafka_message_t, MessageDeleter> msg(
          rd_kafka_consumer_poll(consumer_.get(), wait_ms));
      if (msg == nullptr) {
        if (!records.empty() || absl::Now() >= deadline) break;
        continue;  // woken by an event that was not a message
      }
      if (msg->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) continue;
      if (msg->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        absl::Status status = KafkaStatus(
            msg->err,
            absl::StrCat("reading ", msg->rkt != nullptr ? rd_kafka_topic_name(msg->rkt) : "log",
                         msg->rkt != nullptr ? absl::StrCat("[", msg->partition, "]") : "", ": ",
                         rd_kafka_message_errstr(msg.get())));
        // An error event consumes no record, so the reader stays at the
        // right offsets. Records already taken go out first; the caller sees
        // the error on the next Poll.
        if (IsPermanent(msg->err)) broken_ = status;
        if (records.empty()) return status;
        if (broken_.ok()) deferred_ = std::move(status);
        break;
      }
      StoredRecord& record = records.emplace_back();
      record.pos = {static_cast<uint32_t>(msg->partition), static_cast<uint64_t>(msg->offset)};
      if (msg->key != nullptr) record.key.assign(static_cast<const char*>(msg->key), msg->key_len);
      if (msg->payload != nullptr)
        record.value.assign(static_cast<const char*>(msg->payload), msg->len);
    }
    return records;
  }

 private:
  // Errors after which librdkafka stops fetching the partition for good;
  // the others (a broker restarting) it recovers from by itself.
  static bool IsPermanent(rd_kafka_resp_err_t err) {
    switch (err) {
      case RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET:
      case RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE:
      case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
      case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
      case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
      case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
      case RD_KAFKA_RESP_ERR__FATAL:
        return true;
      default:
        return false;
    }
  }

  HandlePtr consumer_;
  absl::Status broken_;    // a permanent error: every Poll returns it
  absl::Status deferred_;  // a transient error to report at the next Poll
};

class KafkaEventLog final : public EventLog {
 public:
  explicit KafkaEventLog(const KafkaLogOptions& options) : options_(options) {}
  ~KafkaEventLog() override { Close(); }

  KafkaEventLog(const KafkaEventLog&) = delete;
  KafkaEventLog& operator=(const KafkaEventLog&) = delete;

  // Creates the producer, checks the topic and starts the poll thread.
  absl::Status Start();

  std::string_view backend() const override { return "kafka"; }
  uint32_t partition_count() const override { return options_.partitions; }
  absl::StatusOr<std::vector<LogPosition>> Append(std::vector<LogRecord> records) override;
  absl::StatusOr<uint64_t> EndOffset(uint32_t partition) override;
  absl::StatusOr<std::unique_ptr<LogReader>> OpenReader(
      const std::vector<std::pair<uint32_t, uint64_t>>& start_offsets) override;
  absl::Status Health() override;
  void Close() override;

 private:
  static void OnDelivery(rd_kafka_t* rk, const rd_kafka_message_t* msg, void* opaque);
  static void OnError(rd_kafka_t* rk, int err, const char* reason, void* opaque);

  absl::Status CheckTopic() ABSL_SHARED_LOCKS_REQUIRED(mu_);
  // The body of poll_thread_; `producer` and `wake_fd` outlive it (Close
  // joins it first).
  void PollLoop(rd_kafka_t* producer, int wake_fd);
  // Wakes the poll thread.
  static void Wake(int wake_fd);
  // Records the producer's fatal error (once); later calls keep the first.
  void LatchFatal(rd_kafka_t* rk) ABSL_LOCKS_EXCLUDED(fatal_mu_);
  absl::Status FatalStatus() ABSL_LOCKS_EXCLUDED(fatal_mu_);
  std::string Where(int32_t partition) const {
    return absl::StrCat(options_.topic, "[", partition, "]");
  }

  const KafkaLogOptions options_;

  // Writers: Close only. Readers: every call that uses the producer, for
  // its whole duration, so Close waits for in-flight Appends to complete
  // and never destroys the handle under a caller.
  absl::Mutex mu_;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  rd_kafka_t* producer_ ABSL_GUARDED_BY(mu_) = nullptr;
  rd_kafka_topic_t* topic_ ABSL_GUARDED_BY(mu_) = nullptr;

  // Set when Close begins, so that new calls fail fast instead of queueing
  // behind Close on mu_.
  std::atomic<bool> closing_{false};

  // Serialises the produce loops of concurrent Appends: one Append's
  // records are adjacent in each partition, as in the embedded log.
  absl::Mutex produce_mu_ ABSL_ACQUIRED_AFTER(mu_);

  std::thread poll_thread_;  // serves delivery reports and error events
  std::atomic<bool> stop_polling_{false};
  // An eventfd: librdkafka writes to it when the producer's main queue gets
  // an event, Close when the poll thread must stop. (librdkafka 2.0.2's
  // rd_kafka_yield does not wake an rd_kafka_poll blocked in another
  // thread, so the thread cannot simply block in rd_kafka_poll.)
  int wake_fd_ ABSL_GUARDED_BY(mu_) = -1;

  std::atomic<bool> fatal_{false};  // fast path for FatalStatus
  absl::Mutex fatal_mu_;
  absl::Status fatal_status_ ABSL_GUARDED_BY(fatal_mu_);

  std::atomic<uint64_t> next_reader_id_{0};
};

absl::Status KafkaEventLog::Start() {
  if (options_.brokers.empty()) return absl::InvalidArgumentError("kafka: no brokers given");
  if (options_.topic.empty()) return absl::InvalidArgumentError("kafka: no topic given");
  if (options_.partitions == 0 || options_.partitions > INT32_MAX)
    return absl::InvalidArgumentError("kafka: partitions must be positive");
  // 0 would mean "no timeout" to librdkafka, and Append must be bounded.
  if (options_.delivery_timeout_ms <= 0)
    return absl::InvalidArgumentError("kafka: delivery_timeout_ms must be positive");
  if (options_.linger_ms < 0) return absl::InvalidArgumentError("kafka: linger_ms is negative");
  for (const auto& [name, value] : options_.extra) {
    if (ReservedSettings().contains(name))
      return absl::InvalidArgumentError(
          absl::StrCat("kafka: setting ", name, " is fixed by lens and cannot be overridden"));
  }

  ASSIGN_OR_RETURN(ConfPtr conf, BaseConf(options_));
  RETURN_IF_ERROR(SetConf(conf.get(), "enable.idempotence", "true"));
  RETURN_IF_ERROR(SetConf(conf.get(), "acks", "all"));
  RETURN_IF_ERROR(
      SetConf(conf.get(), "message.timeout.ms", std::to_string(options_.delivery_timeout_ms)));
  RETURN_IF_ERROR(SetConf(conf.get(), "linger.ms", std::to_string(options_.linger_ms)));
  rd_kafka_conf_set_dr_msg_cb(conf.get(), &KafkaEventLog::OnDelivery);
  rd_kafka_conf_set_error_cb(conf.get(), &KafkaEventLog::OnError);
  rd_kafka_conf_set_opaque(conf.get(), this);
  ASSIGN_OR_RETURN(HandlePtr producer, NewHandle(RD_KAFKA_PRODUCER, std::move(conf)));

  absl::WriterMutexLock lock(&mu_);
  // Owned by this object from here on: Close releases them, and the
  // destructor runs Close also when the checks below fail.
  producer_ = producer.release();
  wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0)
    return absl::InternalError(absl::StrCat("kafka: eventfd: ", std::strerror(errno)));
  static constexpr uint64_t kOne = 1;  // what eventfd wants written
  rd_kafka_queue_t* main_queue = rd_kafka_queue_get_main(producer_);
  rd_kafka_queue_io_event_enable(main_queue, wake_fd_, &kOne, sizeof kOne);
  rd_kafka_queue_destroy(main_queue);
  poll_thread_ = std::thread([this, producer = producer_, wake_fd = wake_fd_] {
    SetCurrentThreadName("lens-kafka-poll");
    PollLoop(producer, wake_fd);
  });

  // Check the topic before creating a handle for it: the handle makes the
  // client ask for the topic's metadata, which brokers that ignore
  // allow.auto.create.topics=false (older ones, and librdkafka's mock
  // cluster) answer by creating the topic with their default size.
  RETURN_IF_ERROR(CheckTopic());
  topic_ = rd_kafka_topic_new(producer_, options_.topic.c_str(), nullptr);
  if (topic_ == nullptr)
    return KafkaStatus(rd_kafka_last_error(), absl::StrCat("opening topic ", options_.topic));
  return absl::OkStatus();
}

absl::Status KafkaEventLog::CheckTopic() {
  // Metadata for all topics, because asking for one topic by name is
  // what triggers the auto-creation described in Start.
  const rd_kafka_metadata_t* raw = nullptr;
  const rd_kafka_resp_err_t err =
      rd_kafka_metadata(producer_, /*all_topics=*/1, nullptr, &raw, options_.delivery_timeout_ms);
  RETURN_IF_ERROR(KafkaStatus(err, absl::StrCat("fetching metadata of topic ", options_.topic,
                                                " from ", options_.brokers)));
  std::unique_ptr<const rd_kafka_metadata_t, MetadataDeleter> md(raw);
  const rd_kafka_metadata_topic_t* found = nullptr;
  for (int i = 0; i < md->topic_cnt; ++i)
    if (options_.topic == md->topics[i].topic) found = &md->topics[i];
  if (found == nullptr || found->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
    return absl::NotFoundError(absl::StrCat(
        "kafka: topic ", options_.topic, " does not exist on ", options_.brokers,
        " (or this client may not see it); create it with ", options_.partitions, " partitions"));
  RETURN_IF_ERROR(KafkaStatus(found->err, absl::StrCat("metadata of topic ", options_.topic)));
  if (found->partition_cnt != static_cast<int>(options_.partitions))
    return absl::FailedPreconditionError(
        absl::StrCat("kafka: topic ", options_.topic, " has ", found->partition_cnt,
                     " partitions but lens is configured for ", options_.partitions,
                     "; the partition of a key depends on the count, so they must match"));
  return absl::OkStatus();
}

void KafkaEventLog::PollLoop(rd_kafka_t* producer, int wake_fd) {
  for (;;) {
    // Reset the eventfd before serving, so that an event queued while
    // serving wakes the next poll() instead of being slept through.
    uint64_t count;
    while (read(wake_fd, &count, sizeof count) < 0 && errno == EINTR) {
    }
    if (stop_polling_.load(std::memory_order_acquire)) return;
    // Serves every queued event: delivery reports, errors.
    rd_kafka_poll(producer, 0);
    pollfd pfd = {wake_fd, POLLIN, 0};
    if (poll(&pfd, 1, kPollIntervalMs) < 0 && errno != EINTR) {
      // Cannot happen for one valid fd short of ENOMEM; keep serving.
      LogError("kafka: poll on the wake-up eventfd failed", {{"error", std::strerror(errno)}});
      rd_kafka_poll(producer, kPollIntervalMs);
    }
  }
}

void KafkaEventLog::Wake(int wake_fd) {
  const uint64_t one = 1;
  // Fails only if the counter is saturated, which wakes the thread too.
  while (write(wake_fd, &one, sizeof one) < 0 && errno == EINTR) {
  }
}

void KafkaEventLog::OnDelivery(rd_kafka_t* rk, const rd_kafka_message_t* msg, void* opaque) {
  auto* self = static_cast<KafkaEventLog*>(opaque);
  std::unique_ptr<RecordRef> ref(static_cast<RecordRef*>(msg->_private));
  absl::Status status;
  if (msg->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    // After a fatal error librdkafka fails the queued messages with purge
    // errors; report the fatal cause rather than the purge.
    if (msg->err == RD_KAFKA_RESP_ERR__FATAL ||
        rd_kafka_fatal_error(rk, nullptr, 0) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      self->LatchFatal(rk);
      status = self->FatalStatus();
    } else {
      status = KafkaStatus(msg->err, absl::StrCat("delivery to ", self->Where(msg->partition)));
    }
  }
  PendingAppend& append = *ref->append;
  absl::MutexLock lock(&append.mu);
  if (status.ok()) {
    append.positions[ref->index] = {static_cast<uint32_t>(msg->partition),
                                    static_cast<uint64_t>(msg->offset)};
  } else if (append.status.ok()) {
    append.status = std::move(status);
  }
  --append.outstanding;
}

void KafkaEventLog::OnError(rd_kafka_t* rk, int err, const char* reason, void* opaque) {
  auto* self = static_cast<KafkaEventLog*>(opaque);
  const auto code = static_cast<rd_kafka_resp_err_t>(err);
  if (code == RD_KAFKA_RESP_ERR__FATAL) {
    self->LatchFatal(rk);
    LogError("kafka producer stopped by a fatal error",
             {{"error", std::string(self->FatalStatus().message())}});
    return;
  }
  // Everything else (brokers going away, timeouts) librdkafka retries by
  // itself; the appends it affects report their own errors. Transport
  // errors are already in the log, from librdkafka itself.
  if (code == RD_KAFKA_RESP_ERR__TRANSPORT) return;
  LogWarn("kafka producer error", {{"error", rd_kafka_err2name(code)}, {"reason", reason}});
}

void KafkaEventLog::LatchFatal(rd_kafka_t* rk) {
  absl::MutexLock lock(&fatal_mu_);
  if (!fatal_status_.ok()) return;
  fatal_status_ = KafkaStatus(RD_KAFKA_RESP_ERR__FATAL, "producer", rk);
  fatal_.store(true, std::memory_order_release);
}

absl::Status KafkaEventLog::FatalStatus() {
  if (!fatal_.load(std::memory_order_acquire)) return absl::OkStatus();
  absl::MutexLock lock(&fatal_mu_);
  return fatal_status_;
}

absl::StatusOr<std::vector<LogPosition>> KafkaEventLog::Append(std::vector<LogRecord> records) {
  if (closing_.load(std::memory_order_acquire))
    return absl::UnavailableError("kafka: event log is closed");
  RETURN_IF_ERROR(FatalStatus());
  if (records.empty()) return std::vector<LogPosition>();

  absl::ReaderMutexLock lock(&mu_);
  if (closed_) return absl::UnavailableError("kafka: event log is closed");
  const absl::Time deadline =
      absl::Now() + absl::Milliseconds(options_.delivery_timeout_ms) + kDeliveryReportMargin;
  auto pending = std::make_shared<PendingAppend>(records.size());

  // Records are queued in call order; librdkafka keeps a partition's queue
  // in that order, and the idempotent producer keeps it across retries.
  absl::Status produce_status;
  {
    absl::MutexLock order(&produce_mu_);
    for (size_t i = 0; i < records.size(); ++i) {
      const LogRecord& record = records[i];
      const int32_t partition = static_cast<int32_t>(PartitionFor(record.key));
      auto ref = std::make_unique<RecordRef>(RecordRef{pending, i});
      const rd_kafka_resp_err_t err = rd_kafka_producev(
          producer_, RD_KAFKA_V_RKT(topic_), RD_KAFKA_V_PARTITION(partition),
          RD_KAFKA_V_KEY(record.key.data(), record.key.size()),
          RD_KAFKA_V_VALUE(const_cast<char*>(record.value.data()), record.value.size()),
          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE(ref.get()), RD_KAFKA_V_END);
      if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        if (err == RD_KAFKA_RESP_ERR__FATAL) LatchFatal(producer_);
        produce_status = err == RD_KAFKA_RESP_ERR__FATAL
                             ? FatalStatus()
                             : KafkaStatus(err, absl::StrCat("producing to ", Where(partition)));
        // The records not queued will get no report; those queued before
        // this one still will, and are waited for below.
        absl::MutexLock l(&pending->mu);
        pending->outstanding -= records.size() - i;
        break;
      }
      ref.release();  // librdkafka hands it back in the delivery report
    }
  }

  if (!pending->mu.LockWhenWithDeadline(absl::Condition(pending.get(), &PendingAppend::Done),
                                        deadline)) {
    const size_t missing = pending->outstanding;
    pending->mu.Unlock();
    return absl::DeadlineExceededError(absl::StrCat("kafka: ", missing, " of ", records.size(),
                                                    " records got no delivery report within ",
                                                    options_.delivery_timeout_ms, " ms"));
  }
  absl::Status status = pending->status;
  std::vector<LogPosition> positions = std::move(pending->positions);
  pending->mu.Unlock();
  if (!produce_status.ok()) return produce_status;
  if (!status.ok()) return status;
  return positions;
}

absl::StatusOr<uint64_t> KafkaEventLog::EndOffset(uint32_t partition) {
  if (partition >= options_.partitions)
    return absl::InvalidArgumentError(
        absl::StrCat("kafka: no partition ", partition, " (of ", options_.partitions, ")"));
  if (closing_.load(std::memory_order_acquire))
    return absl::UnavailableError("kafka: event log is closed");
  absl::ReaderMutexLock lock(&mu_);
  if (closed_) return absl::UnavailableError("kafka: event log is closed");
  int64_t low = 0;
  int64_t high = 0;
  const rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(
      producer_, options_.topic.c_str(), static_cast<int32_t>(partition), &low, &high,
      options_.delivery_timeout_ms);
  RETURN_IF_ERROR(KafkaStatus(err, absl::StrCat("querying the end offset of ", Where(partition))));
  if (high < 0)
    return absl::InternalError(
        absl::StrCat("kafka: broker gave end offset ", high, " for ", Where(partition)));
  return static_cast<uint64_t>(high);
}

absl::StatusOr<std::unique_ptr<LogReader>> KafkaEventLog::OpenReader(
    const std::vector<std::pair<uint32_t, uint64_t>>& start_offsets) {
  if (closing_.load(std::memory_order_acquire))
    return absl::UnavailableError("kafka: event log is closed");
  std::unique_ptr<rd_kafka_topic_partition_list_t, PartitionListDeleter> assignment(
      rd_kafka_topic_partition_list_new(static_cast<int>(start_offsets.size())));
  std::set<uint32_t> seen;
  for (const auto& [partition, offset] : start_offsets) {
    if (partition >= options_.partitions)
      return absl::InvalidArgumentError(
          absl::StrCat("kafka: no partition ", partition, " (of ", options_.partitions, ")"));
    if (!seen.insert(partition).second)
      return absl::InvalidArgumentError(
          absl::StrCat("kafka: partition ", partition, " listed twice"));
    if (offset > static_cast<uint64_t>(INT64_MAX))
      return absl::InvalidArgumentError(absl::StrCat("kafka: offset ", offset, " out of range"));
    rd_kafka_topic_partition_list_add(assignment.get(), options_.topic.c_str(),
                                      static_cast<int32_t>(partition))
        ->offset = static_cast<int64_t>(offset);
  }

  ASSIGN_OR_RETURN(ConfPtr conf, BaseConf(options_));
  // librdkafka's consumer API needs a group.id even for a manual
  // assignment (rd_kafka_assign fails with ERR__UNKNOWN_GROUP otherwise).
  // Each reader gets its own, and it never commits: the read models keep
  // their positions themselves, atomically with their data.
  RETURN_IF_ERROR(
      SetConf(conf.get(), "group.id",
              absl::StrCat("lens-reader-", getpid(), "-", absl::ToUnixNanos(absl::Now()), "-",
                           next_reader_id_.fetch_add(1))));
  RETURN_IF_ERROR(SetConf(conf.get(), "enable.auto.commit", "false"));
  RETURN_IF_ERROR(SetConf(conf.get(), "enable.auto.offset.store", "false"));
  RETURN_IF_ERROR(SetConf(conf.get(), "enable.partition.eof", "false"));
  // How long a fetch may wait at the broker for new records: it bounds
  // how fresh the read models (and the command side's decision state, which
  // a command on the keys of an earlier one waits for) can be when the
  // broker does not answer a fetch as soon as data arrives (librdkafka's
  // mock broker holds every empty fetch this long).
  RETURN_IF_ERROR(
      SetConf(conf.get(), "fetch.wait.max.ms", std::to_string(options_.fetch_wait_max_ms)));
  // A start offset the partition does not have (a checkpoint past the end,
  // or records removed by retention) is an error, not a silent jump.
  RETURN_IF_ERROR(SetConf(conf.get(), "auto.offset.reset", "error"));
  ASSIGN_OR_RETURN(HandlePtr consumer, NewHandle(RD_KAFKA_CONSUMER, std::move(conf)));
  // Error events then come out of rd_kafka_consumer_poll with the records.
  RETURN_IF_ERROR(KafkaStatus(rd_kafka_poll_set_consumer(consumer.get()), "starting a reader"));
  RETURN_IF_ERROR(
      KafkaStatus(rd_kafka_assign(consumer.get(), assignment.get()), "assigning partitions"));
  return std::make_unique<KafkaLogReader>(std::move(consumer));
}

absl::Status KafkaEventLog::Health() {
  if (closing_.load(std::memory_order_acquire))
    return absl::UnavailableError("kafka: event log is closed");
  return FatalStatus();
}

void KafkaEventLog::Close() {
  closing_.store(true, std::memory_order_release);
  // Waits for the in-flight Appends, which end within their bound.
  absl::WriterMutexLock lock(&mu_);
  if (closed_) return;
  closed_ = true;
  if (producer_ == nullptr) return;  // Start failed before creating it

  // Every Append has returned, so only the records of an Append that gave
  // up waiting can still be queued; give them the usual bound, then purge
  // them so that their reports (and RecordRefs) are served before destroy.
  rd_kafka_resp_err_t err = rd_kafka_flush(producer_, options_.delivery_timeout_ms);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    LogWarn("kafka: records still undelivered at close, purging them",
            {{"count", rd_kafka_outq_len(producer_)}});
    err = rd_kafka_purge(producer_, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
      LogWarn("kafka: purge failed", {{"error", rd_kafka_err2str(err)}});
    // Purged records are reported immediately; serve those reports.
    rd_kafka_flush(producer_, 1000);
  }
  stop_polling_.store(true, std::memory_order_release);
  if (poll_thread_.joinable()) {
    Wake(wake_fd_);
    poll_thread_.join();
  }
  if (topic_ != nullptr) rd_kafka_topic_destroy(topic_);
  topic_ = nullptr;
  rd_kafka_destroy(producer_);
  producer_ = nullptr;
  // Only now: librdkafka may write to it until the handle is gone.
  if (wake_fd_ >= 0) close(wake_fd_);
  wake_fd_ = -1;
}

}  // namespace

absl::StatusOr<std::unique_ptr<EventLog>> OpenKafkaEventLog(const KafkaLogOptions& options) {
  auto log = std::make_unique<KafkaEventLog>(options);
  RETURN_IF_ERROR(log->Start());
  return log;
}

}  // namespace lens
