#include "server/node_options.h"

#include <charconv>

namespace lens {
namespace {

template <typename T>
bool ParseNumber(const std::string& s, T* out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

std::string NodeUsage() {
  return R"(usage: lens ROLE [flags]

roles:
  serve      everything in one process (command API, projections, query API)
  commands   command API and its decision state only (scale-out, with Kafka)
  reads      projections and query API only (scale-out, with Kafka)

flags:
  --data-dir DIR          where the embedded log and the read models live (./lens-data)
  --address ADDR          listen address (127.0.0.1; 0.0.0.0 for all interfaces)
  --port N                listen port (8080; 0 picks a free port)
  --log SPEC              'embedded' (default) or kafka://HOST:PORT[,HOST:PORT]
  --kafka-topic NAME      Kafka topic of the event log (lens.events)
  --partitions N          partitions of the event log (8; fixed when the log is created)
  --node-id N             0..1023, unique per process writing to one log (1)
  --token-secret-file F   HMAC key for bearer tokens (<data-dir>/secrets/token.key;
                          created if missing; share it between nodes)
  --admin-key-file F      key of the admin API that lensctl uses
                          (<data-dir>/secrets/admin.key; created if missing)
  --session-ttl SECONDS   lifetime of a login (2592000 = 30 days)
  --argon2-memory-kib N   argon2id memory per password hash (19456)
  --argon2-time-cost N    argon2id passes (2)
  --body-limit BYTES      largest request body accepted (1048576)
  --read-timeout SECONDS  time a client has to send one whole request (30)
  --idle-timeout SECONDS  keep-alive wait for the next request (75)
  --max-connections N     open connections beyond which new ones get 503 (10000)
  --worker-threads N      request handler threads (64)
  --io-threads N          network threads (2)
  --feed-cap N            home-feed entries kept per user (800); deeper pages are
                          merged from the authors' post lists
  --celebrity-threshold N followers from which an author's posts are merged into
                          feeds at read time instead of fanned out (1000)
  --memtable-budget-mib N RocksDB memtables of all the node's stores together,
                          past which the largest are flushed (512; 0: unbounded)
  --block-cache-mib N     one RocksDB block cache for all the node's stores (256;
                          0: 64 MiB per store)
  --point-cache-mib N     the read models' point reads (posts, profiles, counts,
                          follows) kept in memory, invalidated by their writes
                          (128; 0: none)
  --cache-index-and-filters
                          keep the tables' index and filter blocks in that cache too,
                          partitioned: memory bounded whatever the data, lookups slower
  --projector-batch-ms N  once caught up, a read model waits this long after new
                          events for more, to apply them in one write (5; 0: at
                          once): less CPU per command for that much staleness
  --no-access-log         do not log one line per request
  --no-fsync              embedded log: do not fsync before acknowledging (benchmarks only)
  --decision-by-reader    embedded log: a reader thread applies the command side's
                          decision state, as with Kafka, instead of the log's writer
                          before it acknowledges (slower; for comparisons)
  --help                  this text
)";
}

absl::StatusOr<NodeOptions> ParseNodeOptions(const std::vector<std::string>& args) {
  NodeOptions o;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") return absl::NotFoundError("help");
    if (a == "--no-access-log") {
      o.access_log = false;
      continue;
    }
    if (a == "--no-fsync") {
      o.fsync = false;
      continue;
    }
    if (a == "--decision-by-reader") {
      o.decision_fed_by_commits = false;
      continue;
    }
    if (a == "--cache-index-and-filters") {
      o.cache_index_and_filters = true;
      continue;
    }
    if (i + 1 >= args.size()) return absl::InvalidArgumentError(a + " needs a value (see --help)");
    const std::string& v = args[++i];
    auto bad = [&] { return absl::InvalidArgumentError("bad value for " + a + ": '" + v + "'"); };
    if (a == "--data-dir") {
      o.data_dir = v;
    } else if (a == "--address") {
      o.address = v;
    } else if (a == "--port") {
      if (!ParseNumber(v, &o.port)) return bad();
    } else if (a == "--log") {
      if (v != "embedded" && v.rfind("kafka://", 0) != 0) return bad();
      if (v.rfind("kafka://", 0) == 0 && v.size() <= 8) return bad();
      o.log = v;
    } else if (a == "--kafka-topic") {
      if (v.empty()) return bad();
      o.kafka_topic = v;
    } else if (a == "--partitions") {
      if (!ParseNumber(v, &o.partitions) || o.partitions == 0 || o.partitions > 1024) return bad();
    } else if (a == "--node-id") {
      if (!ParseNumber(v, &o.node_id) || o.node_id > 1023) return bad();
    } else if (a == "--token-secret-file") {
      o.token_secret_file = v;
    } else if (a == "--admin-key-file") {
      o.admin_key_file = v;
    } else if (a == "--session-ttl") {
      if (!ParseNumber(v, &o.session_ttl_seconds) || o.session_ttl_seconds <= 0) return bad();
    } else if (a == "--argon2-memory-kib") {
      if (!ParseNumber(v, &o.argon2_memory_kib) || o.argon2_memory_kib < 8) return bad();
    } else if (a == "--argon2-time-cost") {
      if (!ParseNumber(v, &o.argon2_time_cost) || o.argon2_time_cost < 1) return bad();
    } else if (a == "--body-limit") {
      if (!ParseNumber(v, &o.body_limit) || o.body_limit < 1024) return bad();
    } else if (a == "--read-timeout") {
      if (!ParseNumber(v, &o.read_timeout_seconds) || o.read_timeout_seconds < 1) return bad();
    } else if (a == "--idle-timeout") {
      if (!ParseNumber(v, &o.idle_timeout_seconds) || o.idle_timeout_seconds < 1) return bad();
    } else if (a == "--max-connections") {
      if (!ParseNumber(v, &o.max_connections) || o.max_connections < 1) return bad();
    } else if (a == "--feed-cap") {
      if (!ParseNumber(v, &o.feed_cap) || o.feed_cap < 1 || o.feed_cap > 100000) return bad();
    } else if (a == "--memtable-budget-mib") {
      if (!ParseNumber(v, &o.memtable_budget_mib) || o.memtable_budget_mib > (1u << 20))
        return bad();
    } else if (a == "--block-cache-mib") {
      if (!ParseNumber(v, &o.block_cache_mib) || o.block_cache_mib > (1u << 20)) return bad();
    } else if (a == "--point-cache-mib") {
      if (!ParseNumber(v, &o.point_cache_mib) || o.point_cache_mib > (1u << 20)) return bad();
    } else if (a == "--celebrity-threshold") {
      if (!ParseNumber(v, &o.celebrity_threshold) || o.celebrity_threshold < 1) return bad();
    } else if (a == "--worker-threads") {
      if (!ParseNumber(v, &o.worker_threads) || o.worker_threads < 1 || o.worker_threads > 4096)
        return bad();
    } else if (a == "--projector-batch-ms") {
      if (!ParseNumber(v, &o.projector_batch_ms) || o.projector_batch_ms > 1000) return bad();
    } else if (a == "--io-threads") {
      if (!ParseNumber(v, &o.io_threads) || o.io_threads < 1 || o.io_threads > 256) return bad();
    } else {
      return absl::InvalidArgumentError("unknown flag " + a + " (see --help)");
    }
  }
  if (o.token_secret_file.empty()) o.token_secret_file = o.data_dir + "/secrets/token.key";
  if (o.admin_key_file.empty()) o.admin_key_file = o.data_dir + "/secrets/admin.key";
  return o;
}

}  // namespace lens
