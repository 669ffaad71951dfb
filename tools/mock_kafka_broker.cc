// lens-mock-kafka: librdkafka's mock Kafka cluster as a standalone process.
//
// The mock cluster (rdkafka_mock.h) speaks the Kafka protocol over TCP on
// 127.0.0.1, so any Kafka client (lens, kcat) can use it. Tests start this
// tool, read the bootstrap line, and steer failures through stdin:
//
//   $ lens-mock-kafka --topic lens.events:8 [--brokers 3]
//   bootstrap=127.0.0.1:39513
//   produce-errors 3 NOT_LEADER_FOR_PARTITION     (next 3 Produce requests fail)
//   ok
//   produce-delay 1 2000                          (broker 1 answers its next Produce
//   ok                                             request 2000 ms late)
//   broker-down 1                                 (disconnect, refuse connections)
//   ok
//   broker-up 1
//   ok
//   create-topic other 2
//   ok
//
// Every command line gets exactly one answer line, "ok" or
// "error <reason>". The tool exits on SIGINT, SIGTERM or EOF on stdin, so a
// test that dies without cleaning up does not leave a broker behind.

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr int16_t kProduceApiKey = 0;  // Kafka protocol ApiKey of ProduceRequest
constexpr int kMaxBrokers = 16;
constexpr int kMaxPartitions = 10000;
constexpr size_t kMaxLineBytes = 64 * 1024;

constexpr char kUsage[] =
    "usage: lens-mock-kafka [--brokers N] [--topic NAME:PARTITIONS]...\n"
    "\n"
    "Starts librdkafka's mock Kafka cluster on 127.0.0.1 with N brokers\n"
    "(ids 1..N, default 1), creates the given topics, prints\n"
    "  bootstrap=HOST:PORT[,HOST:PORT...]\n"
    "on stdout and serves until SIGINT, SIGTERM or EOF on stdin.\n"
    "\n"
    "Commands on stdin, one per line, each answered by \"ok\" or\n"
    "\"error <reason>\":\n"
    "  produce-errors N CODE   fail the next N Produce requests with CODE, a\n"
    "                          librdkafka error name without the RD_KAFKA_RESP_ERR_\n"
    "                          prefix (NOT_LEADER_FOR_PARTITION, _TRANSPORT, ...)\n"
    "                          or a number\n"
    "  produce-delay ID MS     broker ID answers its next Produce request MS\n"
    "                          milliseconds late (after appending the records)\n"
    "  broker-down ID          disconnect broker ID and refuse its connections\n"
    "  broker-up ID            let broker ID accept connections again\n"
    "  create-topic NAME PARTITIONS\n";

struct HandleDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
struct ClusterDeleter {
  void operator()(rd_kafka_mock_cluster_t* mc) const { rd_kafka_mock_cluster_destroy(mc); }
};

// Parses a decimal integer in [min, max]; nullopt for anything else.
std::optional<long> ParseInt(std::string_view text, long min, long max) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  std::string s(text);
  char* end = nullptr;
  errno = 0;
  const long value = std::strtol(s.c_str(), &end, 10);
  if (errno != 0 || end != s.c_str() + s.size() || value < min || value > max) return std::nullopt;
  return value;
}

std::vector<std::string_view> SplitWords(std::string_view line) {
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
    size_t j = i;
    while (j < line.size() && line[j] != ' ' && line[j] != '\t' && line[j] != '\r') ++j;
    if (j > i) words.push_back(line.substr(i, j - i));
    i = j;
  }
  return words;
}

// An error code given by its librdkafka name without the RD_KAFKA_RESP_ERR_
// prefix (as rd_kafka_err2name prints it, e.g. "REQUEST_TIMED_OUT" or
// "_TRANSPORT") or by its number; only codes librdkafka knows are accepted.
std::optional<rd_kafka_resp_err_t> ParseErrorCode(std::string_view text) {
  const rd_kafka_err_desc* descs = nullptr;
  size_t count = 0;
  rd_kafka_get_err_descs(&descs, &count);
  const std::optional<long> number = ParseInt(text, INT_MIN, INT_MAX);
  for (size_t i = 0; i < count; ++i) {
    if (descs[i].name == nullptr) continue;  // the table has holes
    if (number ? descs[i].code == *number : text == descs[i].name) return descs[i].code;
  }
  return std::nullopt;
}

int ReplicationFactor(int brokers) { return brokers < 3 ? brokers : 3; }

class MockBroker {
 public:
  MockBroker(std::unique_ptr<rd_kafka_t, HandleDeleter> owner,
             std::unique_ptr<rd_kafka_mock_cluster_t, ClusterDeleter> cluster, int brokers)
      : owner_(std::move(owner)), cluster_(std::move(cluster)), brokers_(brokers) {}

  // The cluster must go before the handle that owns it.
  ~MockBroker() { cluster_.reset(); }

  const char* bootstraps() const { return rd_kafka_mock_cluster_bootstraps(cluster_.get()); }

  // Returns the empty string on success, the reason otherwise.
  std::string CreateTopic(std::string_view name, long partitions) {
    const rd_kafka_resp_err_t err =
        rd_kafka_mock_topic_create(cluster_.get(), std::string(name).c_str(),
                                   static_cast<int>(partitions), ReplicationFactor(brokers_));
    return err ? rd_kafka_err2str(err) : "";
  }

  // Runs one command line; returns the answer line.
  std::string Execute(std::string_view line) {
    const std::vector<std::string_view> words = SplitWords(line);
    if (words.empty()) return "error empty command";
    const std::string_view cmd = words[0];
    if (cmd == "produce-errors") {
      if (words.size() != 3) return "error usage: produce-errors N CODE";
      const std::optional<long> n = ParseInt(words[1], 1, 100000);
      if (!n) return "error N must be a number from 1 to 100000";
      const std::optional<rd_kafka_resp_err_t> code = ParseErrorCode(words[2]);
      if (!code) return "error unknown error code " + std::string(words[2]);
      const std::vector<rd_kafka_resp_err_t> errors(static_cast<size_t>(*n), *code);
      rd_kafka_mock_push_request_errors_array(cluster_.get(), kProduceApiKey, errors.size(),
                                              errors.data());
      return "ok";
    }
    if (cmd == "produce-delay") {
      if (words.size() != 3) return "error usage: produce-delay ID MS";
      const std::optional<long> id = ParseInt(words[1], 1, brokers_);
      if (!id) return "error no broker " + std::string(words[1]);
      const std::optional<long> ms = ParseInt(words[2], 0, 600000);
      if (!ms) return "error MS must be a number from 0 to 600000";
      // An error entry with no error and a round-trip time: the request
      // is served normally, its response held back.
      const rd_kafka_resp_err_t err = rd_kafka_mock_broker_push_request_error_rtts(
          cluster_.get(), static_cast<int32_t>(*id), kProduceApiKey, 1, RD_KAFKA_RESP_ERR_NO_ERROR,
          static_cast<int>(*ms));
      return err ? std::string("error ") + rd_kafka_err2str(err) : "ok";
    }
    if (cmd == "broker-down" || cmd == "broker-up") {
      if (words.size() != 2) return "error usage: " + std::string(cmd) + " ID";
      const std::optional<long> id = ParseInt(words[1], 1, brokers_);
      if (!id) return "error no broker " + std::string(words[1]);
      const rd_kafka_resp_err_t err =
          cmd == "broker-down"
              ? rd_kafka_mock_broker_set_down(cluster_.get(), static_cast<int32_t>(*id))
              : rd_kafka_mock_broker_set_up(cluster_.get(), static_cast<int32_t>(*id));
      return err ? std::string("error ") + rd_kafka_err2str(err) : "ok";
    }
    if (cmd == "create-topic") {
      if (words.size() != 3) return "error usage: create-topic NAME PARTITIONS";
      const std::optional<long> partitions = ParseInt(words[2], 1, kMaxPartitions);
      if (!partitions) return "error PARTITIONS must be a number from 1 to 10000";
      const std::string reason = CreateTopic(words[1], *partitions);
      return reason.empty() ? "ok" : "error " + reason;
    }
    return "error unknown command " + std::string(cmd);
  }

 private:
  std::unique_ptr<rd_kafka_t, HandleDeleter> owner_;
  std::unique_ptr<rd_kafka_mock_cluster_t, ClusterDeleter> cluster_;
  const int brokers_;
};

// Writes `line` and a newline to stdout and flushes; false if the reader
// is gone (then there is nobody left to serve).
bool Answer(const std::string& line) {
  return std::fprintf(stdout, "%s\n", line.c_str()) >= 0 && std::fflush(stdout) == 0;
}

struct Args {
  int brokers = 1;
  std::vector<std::pair<std::string, long>> topics;
};

[[noreturn]] void UsageError(const std::string& why) {
  std::fprintf(stderr, "lens-mock-kafka: %s\n\n%s", why.c_str(), kUsage);
  std::exit(2);
}

// Parses the command line; exits with the usage on --help or an error.
Args ParseArgs(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    }
    if (arg != "--brokers" && arg != "--topic") UsageError("unknown argument " + std::string(arg));
    if (i + 1 == argc) UsageError(std::string(arg) + " needs a value");
    const std::string_view value = argv[++i];
    if (arg == "--brokers") {
      const std::optional<long> n = ParseInt(value, 1, kMaxBrokers);
      if (!n) UsageError("--brokers must be a number from 1 to 16");
      args.brokers = static_cast<int>(*n);
    } else {
      const size_t colon = value.rfind(':');
      const std::optional<long> partitions =
          colon == std::string_view::npos ? std::nullopt
                                          : ParseInt(value.substr(colon + 1), 1, kMaxPartitions);
      if (colon == 0 || !partitions)
        UsageError("--topic wants NAME:PARTITIONS, got " + std::string(value));
      args.topics.emplace_back(std::string(value.substr(0, colon)), *partitions);
    }
  }
  return args;
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = ParseArgs(argc, argv);

  // SIGINT and SIGTERM arrive through a signalfd polled next to stdin, so the
  // cluster is always torn down on the main thread. Blocking them before
  // librdkafka starts its threads keeps the signals away from those threads.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  if (pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr) != 0) {
    std::perror("lens-mock-kafka: pthread_sigmask");
    return 1;
  }
  const int signal_fd = signalfd(-1, &stop_signals, SFD_CLOEXEC);
  if (signal_fd < 0) {
    std::perror("lens-mock-kafka: signalfd");
    return 1;
  }
  // A vanished reader of stdout must end the tool through a failed write,
  // not kill it before it can tear down.
  signal(SIGPIPE, SIG_IGN);

  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  // This handle only owns the cluster and never connects anywhere; keep its
  // "no bootstrap.servers" notice out of the log.
  if (rd_kafka_conf_set(conf, "log_level", "4", errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
    std::fprintf(stderr, "lens-mock-kafka: %s\n", errstr);
    rd_kafka_conf_destroy(conf);
    return 1;
  }
  std::unique_ptr<rd_kafka_t, HandleDeleter> owner(
      rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr));
  if (owner == nullptr) {
    std::fprintf(stderr, "lens-mock-kafka: rd_kafka_new: %s\n", errstr);
    rd_kafka_conf_destroy(conf);  // rd_kafka_new owns conf only on success
    return 1;
  }
  std::unique_ptr<rd_kafka_mock_cluster_t, ClusterDeleter> cluster(
      rd_kafka_mock_cluster_new(owner.get(), args.brokers));
  if (cluster == nullptr) {
    std::fprintf(stderr, "lens-mock-kafka: could not start the mock cluster\n");
    return 1;
  }
  MockBroker broker(std::move(owner), std::move(cluster), args.brokers);
  for (const auto& [name, partitions] : args.topics) {
    const std::string reason = broker.CreateTopic(name, partitions);
    if (!reason.empty()) {
      std::fprintf(stderr, "lens-mock-kafka: creating topic %s: %s\n", name.c_str(),
                   reason.c_str());
      return 1;
    }
  }
  if (!Answer(std::string("bootstrap=") + broker.bootstraps())) return 1;

  std::string buffer;
  pollfd fds[2] = {{STDIN_FILENO, POLLIN, 0}, {signal_fd, POLLIN, 0}};
  for (;;) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      std::perror("lens-mock-kafka: poll");
      return 1;
    }
    if (fds[1].revents != 0) break;  // SIGINT or SIGTERM
    if (fds[0].revents == 0) continue;
    char chunk[4096];
    const ssize_t n = read(STDIN_FILENO, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // EOF (or a broken stdin): the controller is gone
    buffer.append(chunk, static_cast<size_t>(n));
    size_t newline;
    while ((newline = buffer.find('\n')) != std::string::npos) {
      const std::string line = buffer.substr(0, newline);
      buffer.erase(0, newline + 1);
      if (!Answer(broker.Execute(line))) return 1;
    }
    if (buffer.size() > kMaxLineBytes) {  // not a command: drop it, keep serving
      buffer.clear();
      if (!Answer("error line too long")) return 1;
    }
  }
  close(signal_fd);
  return 0;
}
