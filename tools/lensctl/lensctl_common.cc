#include "tools/lensctl/lensctl_common.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "base/time.h"
#include "commands/decision_state.h"
#include "eventlog/embedded_event_log.h"
#include "eventlog/kafka_event_log.h"
#include "projections/accounts_projection.h"
#include "projections/messages_projection.h"
#include "projections/notifications_projection.h"
#include "projections/search_projection.h"
#include "projections/social_projection.h"
#include "store/read_model_dirs.h"

namespace lens {

int Fail(const std::string& message, int code) {
  std::fprintf(stderr, "lensctl: %s\n", message.c_str());
  return code;
}

bool ParseFlags(const std::vector<std::string>& args, Flags* f, std::string* error) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](std::string* out) {
      if (i + 1 >= args.size()) {
        *error = a + " needs a value";
        return false;
      }
      *out = args[++i];
      return true;
    };
    std::string v;
    if (a == "--help" || a == "-h") {
      f->help = true;
    } else if (a == "--json") {
      f->json = true;
    } else if (a == "--follow" || a == "-f") {
      f->follow = true;
    } else if (a == "--from-beginning") {
      f->from_beginning = true;
    } else if (a == "--data-dir") {
      if (!value(&f->data_dir)) return false;
    } else if (a == "--log") {
      if (!value(&f->log)) return false;
      if (f->log != "embedded" && f->log.rfind("kafka://", 0) != 0) {
        *error = "--log must be 'embedded' or kafka://HOST:PORT";
        return false;
      }
    } else if (a == "--kafka-topic") {
      if (!value(&f->topic)) return false;
    } else if (a == "--partitions") {
      if (!value(&v)) return false;
      f->partitions = static_cast<uint32_t>(std::strtoul(v.c_str(), nullptr, 10));
      if (f->partitions == 0 || f->partitions > 1024) {
        *error = "--partitions must be in 1..1024";
        return false;
      }
    } else if (a == "--from") {
      if (!value(&f->from)) return false;
    } else if (a == "--type") {
      if (!value(&f->type)) return false;
    } else if (a == "--key") {
      if (!value(&f->key)) return false;
    } else if (a == "--actor") {
      if (!value(&f->actor)) return false;
    } else if (a == "--limit") {
      if (!value(&v)) return false;
      f->limit = std::strtoull(v.c_str(), nullptr, 10);
    } else if (a == "--projection") {
      if (!value(&f->projection)) return false;
    } else if (a == "--feed-cap") {
      if (!value(&v)) return false;
      f->feed_cap = std::strtoull(v.c_str(), nullptr, 10);
    } else if (a == "--celebrity-threshold") {
      if (!value(&v)) return false;
      f->celebrity_threshold = std::strtoll(v.c_str(), nullptr, 10);
    } else if (a == "--max-differences") {
      if (!value(&v)) return false;
      f->max_differences = std::strtoull(v.c_str(), nullptr, 10);
    } else if (a == "--input") {
      if (!value(&f->input)) return false;
    } else if (a == "--output") {
      if (!value(&f->output)) return false;
    } else if (a == "--restart") {
      f->restart = true;
    } else if (a == "--discard") {
      f->discard = true;
    } else if (a == "--pause") {
      f->pause = true;
    } else if (a == "--detach") {
      f->detach = true;
    } else if (a == "--offline") {
      f->offline = true;
    } else if (a == "--max-rate") {
      if (!value(&v)) return false;
      f->max_rate = std::strtoull(v.c_str(), nullptr, 10);
    } else if (a == "--node") {
      if (!value(&f->node_url)) return false;
    } else if (a == "--admin-key-file") {
      if (!value(&f->admin_key_file)) return false;
    } else if (!a.empty() && a[0] != '-' && f->target.empty() && f->accepts_target) {
      f->target = a;
    } else {
      *error = "unknown flag " + a + " (see --help)";
      return false;
    }
  }
  return true;
}

ScratchDir::ScratchDir() {
  path_ = (std::filesystem::temp_directory_path() /
           ("lensctl-" + std::to_string(getpid()) + "-" + std::to_string(NowMillis())))
              .string();
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

absl::StatusOr<std::unique_ptr<EventLog>> OpenLog(const Flags& f, const ScratchDir& scratch,
                                                  bool read_only) {
  if (f.log == "embedded") {
    EmbeddedLogOptions o;
    o.dir = f.data_dir + "/log";
    o.partitions = f.partitions;
    if (read_only) {
      o.secondary_dir = scratch.Sub("log");
    } else if (o.partitions == 0) {
      if (!std::filesystem::exists(o.dir + "/CURRENT"))
        return absl::InvalidArgumentError("a new embedded log needs --partitions N");
      // Reuse the existing log's count.
      EmbeddedLogOptions probe = o;
      probe.secondary_dir = scratch.Sub("probe");
      auto existing = OpenEmbeddedEventLog(probe);
      if (!existing.ok()) return existing.status();
      o.partitions = (*existing)->partition_count();
    }
    auto log = OpenEmbeddedEventLog(o);
    if (!log.ok() && absl::IsUnavailable(log.status()) && !read_only)
      return absl::UnavailableError(std::string(log.status().message()) +
                                    " (is a node running on this data directory?)");
    return log;
  }
  if (f.partitions == 0) return absl::InvalidArgumentError("Kafka needs --partitions N");
  KafkaLogOptions k;
  k.brokers = f.log.substr(8);
  k.topic = f.topic;
  k.partitions = f.partitions;
  return OpenKafkaEventLog(k);
}

std::unique_ptr<Projection> MakeProjection(const std::string& name, const Flags& f, Store* store) {
  if (name == "accounts") return std::make_unique<AccountsProjection>();
  if (name == "social")
    return std::make_unique<SocialProjection>(
        SocialProjectionOptions{f.feed_cap, f.celebrity_threshold});
  if (name == "notifications") return std::make_unique<NotificationsProjection>();
  if (name == "messages") return std::make_unique<MessagesProjection>();
  if (name == "search") return std::make_unique<SearchProjection>();
  if (name == "decision") return std::make_unique<DecisionState>(store);
  return nullptr;
}

std::vector<std::pair<std::string, std::string>> ProjectionDirs(const std::string& data_dir) {
  std::vector<std::pair<std::string, std::string>> out;
  std::error_code ec;
  if (std::filesystem::exists(data_dir + "/decision/CURRENT", ec))
    out.emplace_back("decision", data_dir + "/decision");
  ReadModelDirs dirs(data_dir + "/readmodels");
  for (const std::string& name : dirs.Names()) {
    auto path = dirs.ActivePath(name);
    if (path.ok() && std::filesystem::exists(*path + "/CURRENT", ec)) out.emplace_back(name, *path);
  }
  std::sort(out.begin(), out.end());
  return out;
}

absl::StatusOr<std::unique_ptr<Store>> OpenSecondaryStore(const std::string& path,
                                                          const std::string& scratch) {
  std::vector<std::string> names;
  rocksdb::Status s = rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), path, &names);
  if (!s.ok()) return absl::UnavailableError("cannot read " + path + ": " + s.ToString());
  StoreOptions so;
  so.path = path;
  so.secondary_path = scratch;
  for (const auto& n : names)
    if (n != rocksdb::kDefaultColumnFamilyName) so.column_families.push_back(n);
  return Store::Open(so);
}

}  // namespace lens
