// lensctl rebuild|replay PROJECTION|all: rebuilds read models from offset 0
// into a fresh store while the serving one keeps answering, then swaps (see
// projector/served_read_model.h). With a node running on the data
// directory the node does the work and lensctl drives it over the admin
// API; on an idle data directory lensctl does it itself, the same way.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "projector/served_read_model.h"
#include "store/read_model_dirs.h"
#include "tools/lensctl/admin_client.h"
#include "tools/lensctl/lensctl_common.h"

namespace lens {
namespace {

constexpr char kRebuildHelp[] = R"(usage: lensctl rebuild PROJECTION|all [--data-dir DIR] [--log SPEC]
                       [--restart | --pause | --discard] [--detach] [--offline]
                       [--max-rate EVENTS_PER_SECOND]
                       [--node URL] [--admin-key-file F]
                       [--feed-cap N] [--celebrity-threshold N]
       lensctl replay ...   (the same command)

Rebuilds a read model (accounts, social, or all of them) from offset 0 of
the event log into a fresh store while the serving store keeps answering
queries, and swaps the new one in atomically once it has caught up with the
live log. Queries never see a half-built model.

With a node running on DIR (found through DIR/node.json, or --node URL) the
node rebuilds and lensctl shows its progress; the admin key is read from
DIR/secrets/admin.key (or --admin-key-file). With no node running, lensctl
rebuilds the idle data directory itself (pass the node's --feed-cap and
--celebrity-threshold); --offline insists on that.

Progress: a bar with events/s and ETA on a terminal, a line every 2 s
otherwise. Ctrl-C pauses the rebuild (it stays on disk); running the same
command again resumes it from where it stopped, also after a crash or a
SIGKILL of the node or of lensctl.

  --restart   discard a paused rebuild and start again from offset 0
  --pause     pause a running rebuild (kept on disk)
  --discard   stop a rebuild and delete it
  --detach    start it on the node and return without waiting
  --max-rate N  apply at most N events/s (0, the default: no cap), to leave a
              busy node's CPU and disk to serving
)";

std::atomic<bool> g_interrupted{false};

void OnSignal(int) { g_interrupted.store(true); }

std::string Compact(double n) {
  char buf[32];
  if (n >= 1e6)
    std::snprintf(buf, sizeof buf, "%.2fM", n / 1e6);
  else if (n >= 1e4)
    std::snprintf(buf, sizeof buf, "%.1fk", n / 1e3);
  else
    std::snprintf(buf, sizeof buf, "%.0f", n);
  return buf;
}

std::string Duration(double seconds) {
  char buf[32];
  if (seconds < 0) return "?";
  if (seconds < 90)
    std::snprintf(buf, sizeof buf, "%.0fs", seconds);
  else if (seconds < 5400)
    std::snprintf(buf, sizeof buf, "%dm%02ds", static_cast<int>(seconds) / 60,
                  static_cast<int>(seconds) % 60);
  else
    std::snprintf(buf, sizeof buf, "%.1fh", seconds / 3600);
  return buf;
}

// One read model's rebuild, as the admin API and RebuildProgress::ToJson
// describe it.
struct Row {
  std::string name;
  Json rebuild;
  std::string state() const { return rebuild.value("state", "none"); }
};

// Draws the progress of the rebuilds: a bar redrawn in place on a
// terminal, a plain line every two seconds otherwise (logs, CI).
class ProgressPrinter {
 public:
  ProgressPrinter() : tty_(::isatty(STDERR_FILENO) == 1) {}

  void Update(const std::vector<Row>& rows) {
    const absl::Time now = absl::Now();
    if (!tty_ && now - last_line_ < absl::Seconds(2)) return;
    last_line_ = now;
    std::string line;
    for (const Row& r : rows) {
      const double applied = r.rebuild.value("applied", 0.0), target = r.rebuild.value("target", 0.0);
      const double ratio = target > 0 ? std::min(1.0, applied / target) : 0.0;
      if (!line.empty()) line += tty_ ? "  " : "; ";
      char buf[256];
      if (tty_) {
        std::string bar(20, '.');
        for (int i = 0; i < static_cast<int>(ratio * 20); ++i) bar[i] = '#';
        std::snprintf(buf, sizeof buf, "%s [%s] %5.1f%% %s/%s %s ev/s ETA %s", r.name.c_str(),
                      bar.c_str(), ratio * 100, Compact(applied).c_str(), Compact(target).c_str(),
                      Compact(r.rebuild.value("events_per_second", 0.0)).c_str(),
                      Duration(r.rebuild.value("eta_seconds", -1.0)).c_str());
      } else {
        std::snprintf(buf, sizeof buf, "rebuild %s: %s, %.1f%% (%.0f of %.0f events), %.0f events/s, ETA %s",
                      r.name.c_str(), r.state().c_str(), ratio * 100, applied, target,
                      r.rebuild.value("events_per_second", 0.0),
                      Duration(r.rebuild.value("eta_seconds", -1.0)).c_str());
      }
      line += buf;
    }
    if (tty_)
      std::fprintf(stderr, "\r\033[K%s", line.c_str());
    else
      std::fprintf(stderr, "%s\n", line.c_str());
    drawn_ = tty_;
  }
  // Ends the bar's line before other output.
  void Break() {
    if (drawn_) std::fputc('\n', stderr);
    drawn_ = false;
  }

 private:
  const bool tty_;
  bool drawn_ = false;
  absl::Time last_line_ = absl::InfinitePast();
};

enum class Outcome { kWaiting, kDone, kFailed, kPaused };

// What the rows add up to; `why` says what went wrong.
Outcome Judge(const std::vector<Row>& rows, std::string* why) {
  bool all_done = !rows.empty();
  for (const Row& r : rows) {
    const std::string st = r.state();
    if (st == "failed") {
      *why = r.name + ": " + r.rebuild.value("error", "failed");
      return Outcome::kFailed;
    }
    if (st == "paused" || st == "none") {
      *why = r.name + " is " + (st == "none" ? "not rebuilding (discarded?)" : "paused");
      return Outcome::kPaused;
    }
    if (st != "done") all_done = false;
  }
  return all_done ? Outcome::kDone : Outcome::kWaiting;
}

void PrintDone(const std::vector<Row>& rows, absl::Time started) {
  for (const Row& r : rows)
    std::fprintf(stderr, "%s: rebuilt as generation %u from %.0f events; serving it (%.1f s)\n",
                 r.name.c_str(), r.rebuild.value("generation", 0u), r.rebuild.value("applied", 0.0),
                 absl::ToDoubleSeconds(absl::Now() - started));
}

std::string ResumeHint(const Flags& f) {
  return "run `lensctl rebuild " + f.target + " --data-dir " + f.data_dir + "` to resume";
}

// Follows the rebuilds until they end, drawing progress: 0 when all are
// done and serve; 1 when one failed or was paused elsewhere; on Ctrl-C,
// `interrupt()` pauses them and decides the exit code. `fetch` reads the
// rows; failing, it ends the watch with `lost` and the resume hint.
int Follow(const Flags& f, const std::function<absl::StatusOr<std::vector<Row>>()>& fetch,
           const std::function<int()>& interrupt, const std::string& lost) {
  const absl::Time t0 = absl::Now();
  ProgressPrinter progress;
  for (;;) {
    if (g_interrupted.load()) {
      progress.Break();
      return interrupt();
    }
    auto rows = fetch();
    if (!rows.ok()) {
      progress.Break();
      return Fail(lost + ": " + std::string(rows.status().message()) +
                  "; the rebuild stays on disk, " + ResumeHint(f));
    }
    progress.Update(*rows);
    std::string why;
    switch (Judge(*rows, &why)) {
      case Outcome::kDone:
        progress.Break();
        PrintDone(*rows, t0);
        return 0;
      case Outcome::kFailed:
        progress.Break();
        return Fail("rebuild failed: " + why);
      case Outcome::kPaused:
        progress.Break();
        return Fail(why + "; " + ResumeHint(f));
      case Outcome::kWaiting:
        break;
    }
    absl::SleepFor(absl::Milliseconds(250));
  }
}

// ---- against a running node ----

absl::StatusOr<std::vector<Row>> FetchRows(const AdminClient& node, const Flags& f) {
  auto status = node.Call("GET", "/admin/v1/status");
  if (!status.ok()) return status.status();
  if (status->status != 200) return absl::UnavailableError(status->error());
  std::vector<Row> rows;
  for (const Json& p : status->body["projections"]) {
    if (!p.contains("rebuild")) continue;  // the command side's state
    std::string name = p.value("name", "");
    if (f.target == "all" || f.target == name) rows.push_back(Row{name, p["rebuild"]});
  }
  return rows;
}

int Online(const AdminClient& node, const Flags& f) {
  std::fprintf(stderr, "node at %s\n", node.url().c_str());
  if (f.pause || f.discard) {
    auto r = f.pause ? node.Call("POST", "/admin/v1/rebuilds/" + f.target + "/pause")
                     : node.Call("DELETE", "/admin/v1/rebuilds/" + f.target);
    if (!r.ok()) return Fail(std::string(r.status().message()));
    if (r->status != 200) return Fail(r->error());
    for (const Json& x : r->body["rebuilds"])
      std::fprintf(stderr, "%s: %s\n", x.value("projection", "").c_str(),
                   f.pause ? x["rebuild"].value("state", "").c_str()
                           : (x.value("discarded", false) ? "discarded" : "nothing to discard"));
    return 0;
  }
  auto started = node.Call("POST", "/admin/v1/rebuilds",
                           Json{{"projection", f.target},
                                {"restart", f.restart},
                                {"max_events_per_second", f.max_rate}});
  if (!started.ok()) return Fail(std::string(started.status().message()));
  if (started->status == 409) {
    std::fprintf(stderr, "already rebuilding; following it\n");
  } else if (started->status != 202) {
    return Fail(started->error(), started->status == 404 ? 2 : 1);
  }
  if (f.detach) {
    std::fprintf(stderr, "started; follow it with `lensctl status`\n");
    return 0;
  }
  return Follow(
      f, [&] { return FetchRows(node, f); },
      [&] {
        auto r = node.Call("POST", "/admin/v1/rebuilds/" + f.target + "/pause");
        if (!r.ok() || r->status != 200)
          return Fail("interrupted, and pausing failed: " +
                          (r.ok() ? r->error() : std::string(r.status().message())),
                      130);
        std::fprintf(stderr, "paused; %s\n", ResumeHint(f).c_str());
        return 130;
      },
      "lost the node");
}

// ---- on an idle data directory ----

int Offline(const Flags& f) {
  if (f.detach) return Fail("--detach needs a running node", 2);
  if (f.log == "embedded" && !std::filesystem::exists(f.data_dir + "/log/CURRENT"))
    return Fail("no embedded log in " + f.data_dir + " (wrong --data-dir?)");
  std::fprintf(stderr, "no node running on %s; rebuilding it here\n", f.data_dir.c_str());
  ScratchDir scratch;
  auto log = OpenLog(f, scratch, /*read_only=*/false);
  if (!log.ok()) return Fail(std::string(log.status().message()));
  ReadModelDirs dirs(f.data_dir + "/readmodels");
  std::vector<std::unique_ptr<ServedReadModel>> models;
  for (const char* name : {"accounts", "social", "notifications", "messages", "search"}) {
    if (f.target != "all" && f.target != name) continue;
    ServedReadModelOptions o;
    o.name = name;
    o.make_projection = [&f, name] { return MakeProjection(name, f, nullptr); };
    o.dirs = &dirs;
    o.log = log->get();
    auto m = ServedReadModel::Open(std::move(o));
    if (!m.ok()) return Fail(std::string(m.status().message()));
    models.push_back(std::move(*m));
  }
  auto rows = [&] {
    std::vector<Row> out;
    for (auto& m : models) out.push_back(Row{m->name(), m->rebuild().ToJson()});
    return out;
  };
  if (f.pause) {
    for (const Row& r : rows()) std::fprintf(stderr, "%s: %s\n", r.name.c_str(), r.state().c_str());
    return 0;
  }
  if (f.discard) {
    size_t discarded = 0;
    for (auto& m : models) {
      absl::Status s = m->DiscardRebuild();
      if (!s.ok() && !absl::IsNotFound(s)) return Fail(std::string(s.message()));
      discarded += s.ok();
      std::fprintf(stderr, "%s: %s\n", m->name().c_str(), s.ok() ? "discarded" : "nothing to discard");
    }
    return discarded > 0 ? 0 : Fail("no rebuild to discard");
  }
  for (auto& m : models) {
    // The serving runner catches the old generation up, too: a swap hands
    // over at the position the serving store has reached.
    if (absl::Status s = m->Start(); !s.ok()) return Fail(std::string(s.message()));
    if (absl::Status s = m->StartRebuild({.restart = f.restart, .max_events_per_second = f.max_rate});
        !s.ok())
      return Fail(std::string(s.message()));
  }
  const int code = Follow(
      f, [&]() -> absl::StatusOr<std::vector<Row>> { return rows(); },
      [&] {
        for (auto& m : models) m->Stop();  // pauses: the rebuild stays on disk
        std::fprintf(stderr, "paused; %s\n", ResumeHint(f).c_str());
        return 130;
      },
      "");
  for (auto& m : models) m->Stop();
  return code;
}

}  // namespace

int RebuildCommand(const Flags& f) {
  if (f.help) return std::fputs(kRebuildHelp, stdout), 0;
  constexpr const char* kValid = "accounts, social, notifications, messages, search, all";
  if (f.target.empty()) return Fail(std::string("rebuild needs a projection: ") + kValid, 2);
  if (f.target == "decision")
    return Fail(std::string("decision is the command side's state, not a read model; valid: ") +
                    kValid,
                2);
  if (f.target != "accounts" && f.target != "social" && f.target != "notifications" &&
      f.target != "messages" && f.target != "search" && f.target != "all")
    return Fail("unknown projection '" + f.target + "'; valid: " + kValid, 2);
  if (f.restart + f.pause + f.discard > 1)
    return Fail("--restart, --pause and --discard exclude each other", 2);

  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);

  if (!f.offline) {
    auto node = AdminClient::Discover(f.data_dir, f.node_url, f.admin_key_file);
    if (node.ok()) return Online(*node, f);
    if (!absl::IsNotFound(node.status())) return Fail(std::string(node.status().message()));
  }
  return Offline(f);
}

}  // namespace lens
