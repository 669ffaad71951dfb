// lensctl: the operator's command line for lens.
//
//   lensctl status          [--data-dir DIR] [--log SPEC] [--json]
//   lensctl tail            [--data-dir DIR] [--log SPEC] [--from-beginning | --from P:O,...]
//                           [--follow] [--type T] [--key K] [--actor ID] [--limit N]
//   lensctl events export   [--data-dir DIR] [--log SPEC] [--output FILE]
//   lensctl events import   [--data-dir DIR] [--log SPEC] [--input FILE] [--partitions N]
//   lensctl backup          [--data-dir DIR] --output BACKUP_DIR
//   lensctl restore         --input BACKUP_DIR [--data-dir DIR]
//   lensctl verify          [--data-dir DIR] [--log SPEC] [--projection NAME]
//                           [--feed-cap N] [--celebrity-threshold N]
//   lensctl rebuild|replay  PROJECTION|all [--restart|--pause|--discard] [--detach]
//
// Reads work beside a running node (the embedded log and the stores are
// opened as RocksDB secondary instances); import writes, so an embedded log
// must not be in use. Exit codes: 0 success, 1 failure (one line on stderr),
// 2 bad usage.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include <set>

#include "base/time.h"
#include "events/event_codec.h"
#include "projector/apply_context.h"
#include "projector/projector_runner.h"
#include "rocksdb/utilities/checkpoint.h"
#include "store/read_model_dirs.h"
#include "store/store.h"
#include "tools/lensctl/admin_client.h"
#include "tools/lensctl/lensctl_common.h"

namespace lens {
namespace {

constexpr char kUsage[] = R"(usage: lensctl COMMAND [flags]

commands:
  status          applied position, log end and lag of every projection
  tail            print events as JSON lines, decoded and upcast
  events export   write the whole log as JSON lines (one envelope per line)
  events import   append JSON lines to an empty log (embedded or Kafka)
  verify          rebuild projections into scratch stores and compare
  rebuild|replay  rebuild read models from offset 0 while serving, then swap
  backup          consistent copy of a stopped node's stores and embedded log
  restore         put a backup into an empty data directory

common flags:
  --data-dir DIR     the node's data directory (./lens-data)
  --log SPEC         embedded (default: DIR/log) or kafka://HOST:PORT[,...]
  --kafka-topic T    Kafka topic (lens.events)
  --partitions N     partition count (needed for Kafka and for a new embedded log)
  --help             help of a command: lensctl COMMAND --help
)";

constexpr char kStatusHelp[] = R"(usage: lensctl status [--data-dir DIR] [--log SPEC] [--json]

For each projection (the command side's decision state and every read model
in DIR), per partition: the applied position, the log end, the lag in events,
and for the whole projection the lag in seconds (age of the oldest event not
yet applied); for a read model its serving generation and the state of a
rebuild (running, with events/s and ETA, when a node runs on DIR; paused,
when one was interrupted). Works beside a running node.
)";

constexpr char kTailHelp[] = R"(usage: lensctl tail [--data-dir DIR] [--log SPEC]
                   [--from-beginning | --from P:O,...] [--follow]
                   [--type TYPE] [--key KEY] [--actor ID] [--limit N]

Prints events as JSON lines (the envelope, upcast to the current version,
plus "position":"P:O"). Without --from-beginning or --from it starts at the
end: with --follow it waits for new events (Ctrl-C stops), without it prints
nothing. Filters combine (all must match).
)";

constexpr char kExportHelp[] = R"(usage: lensctl events export [--data-dir DIR] [--log SPEC] [--output FILE]

Writes every record of the log as one JSON line (the envelope as stored),
partition by partition in offset order, so that each key's events stay in
order. Default output: standard output.
)";

constexpr char kImportHelp[] = R"(usage: lensctl events import [--data-dir DIR] [--log SPEC] [--partitions N]
                            [--input FILE]

Appends JSON lines written by `events export` to an empty log, in the order
read (so each key's events keep their order). Every line is checked first:
one that is not an event stops the import before anything is appended. A log
that already holds records is refused. An embedded log must not be in use by
a running node.
)";

constexpr char kVerifyHelp[] = R"(usage: lensctl verify [--data-dir DIR] [--log SPEC] [--projection NAME]
                     [--feed-cap N] [--celebrity-threshold N] [--max-differences N]

Rebuilds each projection (decision, accounts, social, notifications,
messages, search; or only NAME) from offset 0 into a scratch store, up to
exactly the positions the serving store has applied, and compares the two
key by key. Every difference is printed with its column family and key; the
exit code is 1 when there is any.
The feed layout (feed entries, horizons, celebrity lists) depends on the order
in which partitions were interleaved and is not compared; everything it is
built from is. --feed-cap and --celebrity-threshold must match the node's.
Works beside a running node (the serving store is read as of the start).
)";

constexpr char kBackupHelp[] = R"(usage: lensctl backup [--data-dir DIR] --output BACKUP_DIR

Takes RocksDB checkpoints (hard links where possible) of the node's read
models, its decision state and, last, its embedded log, plus its token key,
into BACKUP_DIR, which must not exist or be empty. A running node on DIR
(or at --node URL, with --admin-key-file) takes them itself while it serves;
BACKUP_DIR is then a path on the node's machine. An idle DIR is copied by
lensctl. With a Kafka log only the stores are copied; a restored node catches
up from Kafka. Every append acknowledged before the backup started is in it.
)";

constexpr char kRestoreHelp[] = R"(usage: lensctl restore --input BACKUP_DIR [--data-dir DIR]

Copies a backup into DIR, which must not exist or be empty (a restore never
mixes with other data). Start lens on DIR: it continues from the restored
checkpoints and catches up with the log.
)";

// A rebuild left on disk (a generation above the serving one): how far it
// got. {"state": "none"} when there is none.
absl::StatusOr<Json> RebuildOnDisk(const ReadModelDirs& dirs, const std::string& name,
                                   uint32_t partitions, const std::vector<uint64_t>& ends,
                                   const ScratchDir& scratch) {
  auto active = dirs.Active(name);
  if (!active.ok()) return active.status();
  std::vector<uint32_t> gens = dirs.Generations(name);
  if (gens.empty() || gens.back() <= *active) return Json{{"state", "none"}};
  const uint32_t pending = gens.back();
  auto store = OpenSecondaryStore(dirs.PathOf(name, pending), scratch.Sub(name + "-rebuild"));
  if (!store.ok()) return store.status();
  auto applied = ProjectorRunner::ReadCheckpoint(store->get(), partitions);
  if (!applied.ok()) return applied.status();
  uint64_t done = 0, target = 0;
  for (uint32_t p = 0; p < partitions; ++p) {
    done += (*applied)[p];
    target += std::max(ends[p], (*applied)[p]);
  }
  return Json{{"state", "paused"}, {"generation", pending}, {"applied", done}, {"target", target}};
}

int Status(const Flags& f) {
  if (f.help) return std::fputs(kStatusHelp, stdout), 0;
  ScratchDir scratch;
  auto log = OpenLog(f, scratch, /*read_only=*/true);
  if (!log.ok()) return Fail(std::string(log.status().message()));
  const uint32_t partitions = (*log)->partition_count();
  std::vector<uint64_t> ends(partitions);
  for (uint32_t p = 0; p < partitions; ++p) {
    auto end = (*log)->EndOffset(p);
    if (!end.ok()) return Fail(std::string(end.status().message()));
    ends[p] = *end;
  }
  Json out{{"log", f.log == "embedded" ? "embedded" : f.log},
           {"partitions", partitions},
           {"projections", Json::array()}};
  const int64_t now = NowMillis();
  // A running node knows whether a rebuild is running and how fast; the
  // disk only shows where it stands.
  ReadModelDirs dirs(f.data_dir + "/readmodels");
  Json node_rebuilds = Json::object();
  if (auto node = AdminClient::Discover(f.data_dir, f.node_url, f.admin_key_file); node.ok()) {
    out["node"] = node->url();
    if (auto st = node->Call("GET", "/admin/v1/status"); st.ok() && st->status == 200)
      for (const Json& p : st->body["projections"])
        if (p.contains("rebuild")) node_rebuilds[p.value("name", "")] = p["rebuild"];
  }
  for (const auto& [name, dir] : ProjectionDirs(f.data_dir)) {
    auto store = OpenSecondaryStore(dir, scratch.Sub(name));
    if (!store.ok()) return Fail(std::string(store.status().message()));
    auto applied = ProjectorRunner::ReadCheckpoint(store->get(), partitions);
    if (!applied.ok()) return Fail(std::string(applied.status().message()));
    Json parts = Json::array();
    uint64_t lag = 0;
    int64_t oldest_pending_ms = 0;
    for (uint32_t p = 0; p < partitions; ++p) {
      uint64_t a = (*applied)[p], behind = ends[p] > a ? ends[p] - a : 0;
      lag += behind;
      parts.push_back(Json{{"partition", p}, {"applied", a}, {"end", ends[p]}, {"lag", behind}});
      if (behind > 0) {
        // The age of the first event not yet applied.
        auto reader = (*log)->OpenReader({{p, a}});
        if (reader.ok())
          if (auto recs = (*reader)->Poll(1, absl::Seconds(2)); recs.ok() && !recs->empty())
            if (auto e = DecodeEvent((*recs)[0].value); e.ok())
              if (oldest_pending_ms == 0 || e->ts_ms < oldest_pending_ms) oldest_pending_ms = e->ts_ms;
      }
    }
    double lag_seconds = oldest_pending_ms ? (now - oldest_pending_ms) / 1000.0 : 0.0;
    Json entry{{"name", name}, {"lag_events", lag}, {"lag_seconds", lag_seconds}, {"partitions", parts}};
    if (name != "decision") {
      auto rebuild = RebuildOnDisk(dirs, name, partitions, ends, scratch);
      if (!rebuild.ok()) return Fail(std::string(rebuild.status().message()));
      entry["generation"] = dirs.Active(name).value_or(0);
      entry["rebuild"] = *rebuild;
      if (node_rebuilds.contains(name)) entry["rebuild"] = node_rebuilds[name];
    }
    out["projections"].push_back(std::move(entry));
  }
  if (f.json) {
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
  }
  std::printf("log: %s, %u partitions\n", out["log"].get<std::string>().c_str(), partitions);
  if (out["projections"].empty()) std::printf("no projections in %s\n", f.data_dir.c_str());
  for (const Json& p : out["projections"]) {
    std::printf("\n%-10s lag %llu events, %.1f s", p["name"].get<std::string>().c_str(),
                static_cast<unsigned long long>(p["lag_events"].get<uint64_t>()),
                p["lag_seconds"].get<double>());
    if (p.contains("generation")) std::printf(", generation %u", p["generation"].get<uint32_t>());
    std::printf("\n");
    if (p.contains("rebuild") && p["rebuild"].value("state", "none") != "none") {
      const Json& r = p["rebuild"];
      const double applied = r.value("applied", 0.0), target = r.value("target", 0.0);
      std::printf("  rebuild: %s, generation %u, %.1f%% (%.0f of %.0f events)",
                  r.value("state", "").c_str(), r.value("generation", 0u),
                  target > 0 ? 100.0 * std::min(1.0, applied / target)
                             : (r.value("state", "") == "done" ? 100.0 : 0.0),
                  applied, target);
      if (r.value("events_per_second", 0.0) > 0)
        std::printf(", %.0f events/s, ETA %.0f s", r.value("events_per_second", 0.0),
                    r.value("eta_seconds", 0.0));
      if (r.contains("error")) std::printf(", error: %s", r.value("error", "").c_str());
      std::printf("\n");
    }
    std::printf("  %-9s %12s %12s %10s\n", "partition", "applied", "end", "lag");
    for (const Json& q : p["partitions"])
      std::printf("  %-9u %12llu %12llu %10llu\n", q["partition"].get<uint32_t>(),
                  static_cast<unsigned long long>(q["applied"].get<uint64_t>()),
                  static_cast<unsigned long long>(q["end"].get<uint64_t>()),
                  static_cast<unsigned long long>(q["lag"].get<uint64_t>()));
  }
  return 0;
}

int Tail(const Flags& f) {
  if (f.help) return std::fputs(kTailHelp, stdout), 0;
  ScratchDir scratch;
  auto log = OpenLog(f, scratch, /*read_only=*/true);
  if (!log.ok()) return Fail(std::string(log.status().message()));
  const uint32_t partitions = (*log)->partition_count();
  std::vector<std::pair<uint32_t, uint64_t>> starts;
  std::map<uint32_t, uint64_t> from;
  if (!f.from.empty()) {
    auto token = ConsistencyToken::Parse(f.from);
    if (!token) return Fail("--from must look like P:O[,P:O...]", 2);
    from = token->last_offsets();
  }
  for (uint32_t p = 0; p < partitions; ++p) {
    uint64_t start = 0;
    if (!f.from_beginning) {
      auto end = (*log)->EndOffset(p);
      if (!end.ok()) return Fail(std::string(end.status().message()));
      start = *end;
      if (!f.from.empty()) start = from.count(p) ? std::min(from[p], *end) : *end;
    }
    starts.emplace_back(p, start);
  }
  auto reader = (*log)->OpenReader(starts);
  if (!reader.ok()) return Fail(std::string(reader.status().message()));
  uint64_t printed = 0;
  for (;;) {
    auto records = (*reader)->Poll(512, absl::Milliseconds(f.follow ? 500 : 300));
    if (!records.ok()) return Fail(std::string(records.status().message()));
    if (records->empty() && !f.follow) return 0;
    for (const StoredRecord& r : *records) {
      auto e = DecodeEvent(r.value);
      Json line;
      if (!e.ok()) {
        line = Json{{"position", std::to_string(r.pos.partition) + ":" + std::to_string(r.pos.offset)},
                    {"key", r.key},
                    {"undecodable", std::string(e.status().message())}};
      } else {
        if (!f.type.empty() && e->type != f.type) continue;
        if (!f.key.empty() && e->key != f.key) continue;
        if (!f.actor.empty() && e->actor != f.actor) continue;
        line = EventToJson(*e);
        line["position"] = std::to_string(r.pos.partition) + ":" + std::to_string(r.pos.offset);
      }
      std::printf("%s\n", DumpJson(line).c_str());
      if (f.limit && ++printed >= f.limit) return 0;
    }
    std::fflush(stdout);
  }
}

int Export(const Flags& f) {
  if (f.help) return std::fputs(kExportHelp, stdout), 0;
  ScratchDir scratch;
  auto log = OpenLog(f, scratch, /*read_only=*/true);
  if (!log.ok()) return Fail(std::string(log.status().message()));
  std::ofstream file;
  if (!f.output.empty()) {
    file.open(f.output, std::ios::binary | std::ios::trunc);
    if (!file) return Fail("cannot write " + f.output);
  }
  std::ostream& out = f.output.empty() ? std::cout : file;
  uint64_t total = 0;
  for (uint32_t p = 0; p < (*log)->partition_count(); ++p) {
    auto end = (*log)->EndOffset(p);
    if (!end.ok()) return Fail(std::string(end.status().message()));
    auto reader = (*log)->OpenReader({{p, 0}});
    if (!reader.ok()) return Fail(std::string(reader.status().message()));
    uint64_t next = 0;
    while (next < *end) {
      auto records = (*reader)->Poll(4096, absl::Seconds(10));
      if (!records.ok()) return Fail(std::string(records.status().message()));
      if (records->empty()) return Fail("partition " + std::to_string(p) + " ended early");
      for (const StoredRecord& r : *records) {
        if (r.pos.offset >= *end) break;
        out << r.value << '\n';
        next = r.pos.offset + 1;
        ++total;
      }
    }
  }
  out.flush();
  if (!out) return Fail("write failed");
  std::fprintf(stderr, "exported %llu events\n", static_cast<unsigned long long>(total));
  return 0;
}

int Import(const Flags& f) {
  if (f.help) return std::fputs(kImportHelp, stdout), 0;
  std::ifstream file;
  if (!f.input.empty()) {
    file.open(f.input, std::ios::binary);
    if (!file) return Fail("cannot read " + f.input);
  }
  std::istream& in = f.input.empty() ? std::cin : file;
  // Check everything before appending anything.
  std::vector<LogRecord> records;
  std::string line;
  uint64_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty()) continue;
    auto e = DecodeEvent(line);
    if (!e.ok())
      return Fail("line " + std::to_string(number) + ": " + std::string(e.status().message()));
    records.push_back({e->key, line});
  }
  ScratchDir scratch;
  auto log = OpenLog(f, scratch, /*read_only=*/false);
  if (!log.ok()) return Fail(std::string(log.status().message()));
  for (uint32_t p = 0; p < (*log)->partition_count(); ++p) {
    auto end = (*log)->EndOffset(p);
    if (!end.ok()) return Fail(std::string(end.status().message()));
    if (*end > 0) return Fail("the target log already holds records; import needs an empty log");
  }
  for (size_t i = 0; i < records.size(); i += 1000) {
    std::vector<LogRecord> chunk(records.begin() + i,
                                 records.begin() + std::min(records.size(), i + 1000));
    auto appended = (*log)->Append(std::move(chunk));
    if (!appended.ok())
      return Fail("append failed after " + std::to_string(i) +
                  " events: " + std::string(appended.status().message()));
  }
  (*log)->Close();
  std::fprintf(stderr, "imported %zu events\n", records.size());
  return 0;
}

// A key as a person can read it: big-endian ids as decimals, text as text.
std::string RenderKey(std::string_view k) {
  std::string out;
  size_t i = 0;
  while (k.size() - i >= 8) {
    uint64_t v = 0;
    for (int b = 0; b < 8; ++b) v = (v << 8) | static_cast<uint8_t>(k[i + b]);
    bool printable = true;
    for (int b = 0; b < 8; ++b) printable = printable && k[i + b] >= 0x20 && k[i + b] < 0x7f;
    if (printable) break;
    if (!out.empty()) out += "/";
    out += v > (uint64_t{1} << 63) ? "~" + std::to_string(~v) : std::to_string(v);
    i += 8;
  }
  if (i < k.size()) {
    if (!out.empty()) out += "/";
    for (; i < k.size(); ++i) {
      unsigned char c = static_cast<unsigned char>(k[i]);
      if (c >= 0x20 && c < 0x7f) {
        out.push_back(static_cast<char>(c));
      } else {
        char buf[8];
        std::snprintf(buf, sizeof(buf), "\\x%02x", c);
        out += buf;
      }
    }
  }
  return out;
}

std::string RenderValue(std::string_view v) {
  if (v.size() == 8) return std::to_string(DecodeCounter(v)) + " (as counter)";
  std::string s(v.substr(0, 120));
  for (char& c : s)
    if (static_cast<unsigned char>(c) < 0x20) c = '.';
  return v.size() > 120 ? s + "..." : s;
}

// Compares one column family of two stores; prints differences.
size_t CompareFamily(const std::string& projection, const std::string& cf, Store* serving, Store* rebuilt,
                     size_t budget) {
  auto skip = [&](std::string_view key) {
    // The feed's layout depends on the interleaving of partitions; the
    // feed's content is derived from what is compared.
    return projection == "social" && cf == "user_counters" && key.size() > 8 &&
           key.substr(8) == "feed";
  };
  std::unique_ptr<rocksdb::Iterator> a(serving->db()->NewIterator(rocksdb::ReadOptions(), serving->cf(cf)));
  std::unique_ptr<rocksdb::Iterator> b(rebuilt->db()->NewIterator(rocksdb::ReadOptions(), rebuilt->cf(cf)));
  a->SeekToFirst();
  b->SeekToFirst();
  size_t differences = 0;
  auto report = [&](std::string_view key, const std::string& what) {
    if (differences++ < budget)
      std::printf("%s %s %s: %s\n", projection.c_str(), cf.c_str(), RenderKey(key).c_str(), what.c_str());
  };
  while (a->Valid() || b->Valid()) {
    int order = !a->Valid() ? 1 : !b->Valid() ? -1 : a->key().compare(b->key());
    if (order < 0) {
      if (!skip(a->key().ToStringView()))
        report(a->key().ToStringView(), "only in the serving store = " + RenderValue(a->value().ToStringView()));
      a->Next();
    } else if (order > 0) {
      if (!skip(b->key().ToStringView()))
        report(b->key().ToStringView(), "missing from the serving store, rebuilt = " +
                                            RenderValue(b->value().ToStringView()));
      b->Next();
    } else {
      if (a->value() != b->value() && !skip(a->key().ToStringView()))
        report(a->key().ToStringView(), "serving = " + RenderValue(a->value().ToStringView()) +
                                            ", rebuilt = " + RenderValue(b->value().ToStringView()));
      a->Next();
      b->Next();
    }
  }
  return differences;
}

bool EmptyOrMissing(const std::string& dir) {
  std::error_code ec;
  return !std::filesystem::exists(dir, ec) || std::filesystem::is_empty(dir, ec);
}

int Backup(const Flags& f) {
  if (f.help) return std::fputs(kBackupHelp, stdout), 0;
  if (f.output.empty()) return Fail("backup needs --output BACKUP_DIR", 2);
  if (!EmptyOrMissing(f.output)) return Fail("refusing to back up into non-empty " + f.output);
  // A running node checkpoints its own open stores.
  auto node = AdminClient::Discover(f.data_dir, f.node_url, f.admin_key_file);
  if (node.ok()) {
    std::error_code ec;
    const std::string path = std::filesystem::absolute(f.output, ec).string();
    auto r = node->Call("POST", "/admin/v1/backups", Json{{"path", path}});
    if (!r.ok()) return Fail(std::string(r.status().message()));
    if (r->status != 201) return Fail("backup failed: " + r->error());
    std::fprintf(stderr, "backed up %zu stores of the running node to %s\n", r->body["stores"].size(),
                 path.c_str());
    return 0;
  }
  if (!absl::IsNotFound(node.status())) return Fail(std::string(node.status().message()));
  std::vector<std::pair<std::string, std::string>> stores;  // relative path, absolute path
  for (const auto& [name, dir] : ProjectionDirs(f.data_dir))
    stores.emplace_back(name == "decision" ? "decision" : "readmodels/" + name, dir);
  // The log last: a restored node is then never behind its read models.
  if (std::filesystem::exists(f.data_dir + "/log/CURRENT")) stores.emplace_back("log", f.data_dir + "/log");
  if (stores.empty()) return Fail("nothing to back up in " + f.data_dir);
  std::error_code ec;
  std::filesystem::create_directories(f.output, ec);
  if (ec) return Fail("cannot create " + f.output + ": " + ec.message());
  Json manifest{{"created_at", FormatIsoMillis(NowMillis())}, {"stores", Json::array()}};
  for (const auto& [rel, dir] : stores) {
    std::vector<std::string> names;
    rocksdb::Status s = rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), dir, &names);
    if (!s.ok()) return Fail("cannot read " + dir + ": " + s.ToString());
    StoreOptions so;
    so.path = dir;
    so.create_if_missing = false;
    for (const auto& n : names)
      if (n != rocksdb::kDefaultColumnFamilyName) so.column_families.push_back(n);
    auto store = Store::Open(so);
    if (!store.ok())
      return Fail(std::string(store.status().message()) + " (is a node running on " + f.data_dir + "?)");
    rocksdb::Checkpoint* raw = nullptr;
    s = rocksdb::Checkpoint::Create((*store)->db(), &raw);
    std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
    std::string target = f.output + "/" + rel;
    std::filesystem::create_directories(std::filesystem::path(target).parent_path(), ec);
    if (s.ok()) s = checkpoint->CreateCheckpoint(target);
    if (!s.ok()) return Fail("checkpoint of " + dir + " failed: " + s.ToString());
    manifest["stores"].push_back(rel);
  }
  const std::string key = f.data_dir + "/secrets/token.key";
  if (std::filesystem::exists(key)) {
    std::filesystem::create_directories(f.output + "/secrets", ec);
    std::filesystem::copy_file(key, f.output + "/secrets/token.key", ec);
    if (ec) return Fail("cannot copy the token key: " + ec.message());
    std::filesystem::permissions(f.output + "/secrets/token.key", std::filesystem::perms::owner_read |
                                 std::filesystem::perms::owner_write, ec);
  }
  std::ofstream(f.output + "/BACKUP.json") << manifest.dump(2) << "\n";
  std::fprintf(stderr, "backed up %zu stores to %s\n", stores.size(), f.output.c_str());
  return 0;
}

int Restore(const Flags& f) {
  if (f.help) return std::fputs(kRestoreHelp, stdout), 0;
  if (f.input.empty()) return Fail("restore needs --input BACKUP_DIR", 2);
  if (!std::filesystem::exists(f.input + "/BACKUP.json")) return Fail(f.input + " is not a lensctl backup");
  if (!EmptyOrMissing(f.data_dir))
    return Fail("refusing to restore into non-empty " + f.data_dir + ": restore into an empty directory");
  std::error_code ec;
  std::filesystem::create_directories(f.data_dir, ec);
  for (const auto& entry : std::filesystem::directory_iterator(f.input, ec)) {
    if (entry.path().filename() == "BACKUP.json") continue;
    std::filesystem::copy(entry.path(), f.data_dir / entry.path().filename(),
                          std::filesystem::copy_options::recursive, ec);
    if (ec) return Fail("copy failed: " + ec.message());
  }
  std::fprintf(stderr, "restored %s into %s\n", f.input.c_str(), f.data_dir.c_str());
  return 0;
}

int Verify(const Flags& f) {
  if (f.help) return std::fputs(kVerifyHelp, stdout), 0;
  const std::set<std::string> known = {"decision", "accounts", "social", "notifications",
                                       "messages", "search"};
  if (!f.projection.empty() && f.projection != "all" && !known.count(f.projection))
    return Fail("unknown projection '" + f.projection +
                    "' (decision, accounts, social, notifications, messages, search, all)",
                2);
  ScratchDir scratch;
  auto log = OpenLog(f, scratch, /*read_only=*/true);
  if (!log.ok()) return Fail(std::string(log.status().message()));
  const uint32_t partitions = (*log)->partition_count();
  size_t total = 0, checked = 0;
  for (const auto& [name, dir] : ProjectionDirs(f.data_dir)) {
    if (!known.count(name) || (!f.projection.empty() && f.projection != "all" && f.projection != name))
      continue;
    auto serving = OpenSecondaryStore(dir, scratch.Sub("serving-" + name));
    if (!serving.ok()) return Fail(std::string(serving.status().message()));
    auto target = ProjectorRunner::ReadCheckpoint(serving->get(), partitions);
    if (!target.ok()) return Fail(std::string(target.status().message()));

    std::vector<std::string> cfs = MakeProjection(name, f, nullptr)->column_families();
    auto rebuilt = Store::Open({.path = scratch.Sub("rebuilt-" + name), .column_families = cfs});
    if (!rebuilt.ok()) return Fail(std::string(rebuilt.status().message()));
    std::unique_ptr<Projection> apply = MakeProjection(name, f, rebuilt->get());

    // Apply exactly the events the serving store has applied.
    std::vector<std::pair<uint32_t, uint64_t>> starts;
    uint64_t remaining = 0;
    for (uint32_t p = 0; p < partitions; ++p) {
      if ((*target)[p] > 0) starts.emplace_back(p, 0);
      remaining += (*target)[p];
    }
    auto reader = (*log)->OpenReader(starts);
    if (!reader.ok()) return Fail(std::string(reader.status().message()));
    while (remaining > 0) {
      auto records = (*reader)->Poll(1000, absl::Seconds(10));
      if (!records.ok()) return Fail(std::string(records.status().message()));
      if (records->empty()) return Fail("the log ended before the serving store's checkpoint");
      ApplyContext ctx(rebuilt->get());
      for (const StoredRecord& r : *records) {
        if (r.pos.offset >= (*target)[r.pos.partition]) continue;
        --remaining;
        auto e = DecodeEvent(r.value);
        if (!e.ok()) continue;  // the runner sets such records aside, too
        if (absl::Status s = apply->Apply(*e, r.pos, ctx); !s.ok())
          return Fail("rebuilding " + name + ": " + std::string(s.message()));
      }
      rocksdb::WriteOptions wo;
      wo.disableWAL = true;
      if (auto s = (*rebuilt)->Write(wo, ctx.Finish()); !s.ok()) return Fail(s.ToString());
    }

    size_t differences = 0;
    for (const std::string& cf : cfs) {
      // Feeds and the feed items of live streams depend on which follows
      // were applied before which posts, across partitions: a replay may
      // interleave differently (docs: the feed is exact per follow history).
      if (name == "social" && (cf == "feed" || cf == "feed_meta" || cf == "celebrities" ||
                               cf == "viewer_celebs" || cf == "stream"))
        continue;
      differences += CompareFamily(name, cf, serving->get(), rebuilt->get(),
                                   f.max_differences > total ? f.max_differences - total : 0);
    }
    std::fprintf(stderr, "%s: %s\n", name.c_str(),
                 differences ? (std::to_string(differences) + " differences").c_str() : "identical");
    total += differences;
    ++checked;
  }
  if (checked == 0) return Fail("no projection to verify in " + f.data_dir);
  if (total > 0) return Fail(std::to_string(total) + " differences between serving and rebuilt read models");
  return 0;
}

}  // namespace
}  // namespace lens

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) return std::fputs(lens::kUsage, stderr), 2;
  if (args[0] == "--help" || args[0] == "-h" || args[0] == "help")
    return std::fputs(lens::kUsage, stdout), 0;
  std::string command = args[0];
  args.erase(args.begin());
  if (command == "events") {
    if (args.empty()) return lens::Fail("events needs 'export' or 'import'", 2);
    command += " " + args[0];
    args.erase(args.begin());
  }
  lens::Flags flags;
  flags.accepts_target = command == "rebuild" || command == "replay";
  std::string error;
  if (!lens::ParseFlags(args, &flags, &error)) return lens::Fail(error, 2);
  if (command == "status") return lens::Status(flags);
  if (command == "tail") return lens::Tail(flags);
  if (command == "events export") return lens::Export(flags);
  if (command == "events import") return lens::Import(flags);
  if (command == "verify") return lens::Verify(flags);
  if (command == "backup") return lens::Backup(flags);
  if (command == "restore") return lens::Restore(flags);
  if (command == "rebuild" || command == "replay") return lens::RebuildCommand(flags);
  return lens::Fail("unknown command '" + command +
                        "' (status, tail, events export, events import, verify, rebuild, replay, "
                        "backup, restore)",
                    2);
}
