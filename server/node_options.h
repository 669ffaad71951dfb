// NodeOptions: how one lens process is configured, parsed from its command
// line:  lens serve|commands|reads [--data-dir DIR] [--port N] ...
#ifndef LENS_SERVER_NODE_OPTIONS_H_
#define LENS_SERVER_NODE_OPTIONS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "projections/social_projection_options.h"

namespace lens {

struct NodeOptions {
  bool run_commands = true;  // command API + decision state
  bool run_reads = true;     // projections + query API
  std::string data_dir = "./lens-data";
  std::string address = "127.0.0.1";
  uint16_t port = 8080;
  std::string log = "embedded";  // or "kafka://HOST:PORT[,HOST:PORT...]"
  std::string kafka_topic = "lens.events";
  uint32_t partitions = 8;
  uint32_t node_id = 1;           // unique per process writing to one log (id generation)
  std::string token_secret_file;  // default: <data-dir>/secrets/token.key
  std::string admin_key_file;     // default: <data-dir>/secrets/admin.key (admin API)
  int64_t session_ttl_seconds = 30 * 24 * 3600;
  uint32_t argon2_memory_kib = 19456;
  uint32_t argon2_time_cost = 2;
  size_t body_limit = 1 << 20;
  int read_timeout_seconds = 30;
  int idle_timeout_seconds = 75;
  size_t max_connections = 10000;
  int worker_threads = 64;
  int io_threads = 2;
  bool access_log = true;
  bool fsync = true;  // embedded log: fsync before acknowledging
  // Embedded log: its writer applies the decision state before it
  // acknowledges (false: a reader thread applies it, as with Kafka).
  bool decision_fed_by_commits = true;
  size_t feed_cap = SocialProjectionOptions{}.feed_cap;
  int64_t celebrity_threshold = SocialProjectionOptions{}.celebrity_threshold;
  size_t memtable_budget_mib = 512;  // all stores' memtables together; 0: unbounded
  size_t block_cache_mib = 256;      // one block cache for all stores; 0: 64 MiB per store
  bool cache_index_and_filters = false;  // in that cache too (bounded memory, slower)
  size_t point_cache_mib = 128;  // read models' point reads (store/point_cache.h); 0: none
  // ProjectorOptions::batch_window of the read models, in milliseconds.
  uint32_t projector_batch_ms = 5;
};

// Parses argv (after the role word). InvalidArgument with a readable
// message on a bad flag; the special status "help" (NotFound) for --help.
absl::StatusOr<NodeOptions> ParseNodeOptions(const std::vector<std::string>& args);
std::string NodeUsage();

}  // namespace lens

#endif  // LENS_SERVER_NODE_OPTIONS_H_
