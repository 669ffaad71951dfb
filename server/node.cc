#include "server/node.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "auth/authenticator.h"
#include "auth/password_hasher.h"
#include "auth/token_signer.h"
#include "base/hex.h"
#include "base/log.h"
#include "base/metrics.h"
#include "base/status_macros.h"
#include "base/time.h"
#include "commands/account_command_api.h"
#include "commands/command_bus.h"
#include "commands/decision_state.h"
#include "commands/message_command_api.h"
#include "commands/social_command_api.h"
#include "eventlog/embedded_event_log.h"
#include "eventlog/kafka_event_log.h"
#include "events/id_generator.h"
#include "http/http_server.h"
#include "http/router.h"
#include "projections/accounts_projection.h"
#include "projections/messages_projection.h"
#include "projections/notifications_projection.h"
#include "projections/search_projection.h"
#include "projections/social_projection.h"
#include "projector/projector_runner.h"
#include "query-api/account_query_api.h"
#include "query-api/message_query_api.h"
#include "query-api/notification_query_api.h"
#include "query-api/search_query_api.h"
#include "query-api/stream_api.h"
#include "projector/change_notifier.h"
#include "query-api/query_gate.h"
#include "query-api/social_query_api.h"
#include "projector/served_read_model.h"
#include "readmodels/accounts_model.h"
#include "server/admin_api.h"
#include "store/memory_budget.h"
#include "store/point_cache.h"
#include "store/read_model_dirs.h"
#include "store/store.h"

namespace lens {

struct Node::Parts {
  MetricsRegistry metrics;
  std::unique_ptr<EventLog> log;
  std::unique_ptr<IdGenerator> ids;
  std::unique_ptr<TokenSigner> signer;
  std::unique_ptr<PasswordHasher> hasher;

  // Command side.
  std::unique_ptr<Store> decision_store;
  std::unique_ptr<DecisionState> decision;
  std::unique_ptr<ProjectorRunner> decision_runner;
  std::unique_ptr<CommandBus> bus;
  std::unique_ptr<Authenticator> command_auth;
  std::unique_ptr<AccountCommandApi> account_commands;
  std::unique_ptr<SocialCommandApi> social_commands;
  std::unique_ptr<MessageCommandApi> message_commands;

  // Read side.
  std::unique_ptr<ReadModelDirs> read_model_dirs;
  std::vector<std::unique_ptr<ServedReadModel>> read_models;
  std::unique_ptr<AccountsReader> accounts;
  std::unique_ptr<Authenticator> query_auth;
  std::unique_ptr<QueryGate> gate;
  std::unique_ptr<AccountQueryApi> account_queries;
  std::unique_ptr<SocialReader> social;
  std::unique_ptr<SocialQueryApi> social_queries;
  ChangeNotifier notifier;  // projections -> live streams
  std::unique_ptr<NotificationsReader> notifications;
  std::unique_ptr<NotificationQueryApi> notification_queries;
  std::unique_ptr<MessagesReader> messages;
  std::unique_ptr<MessageQueryApi> message_queries;
  std::unique_ptr<SearchReader> search;
  std::unique_ptr<SearchQueryApi> search_queries;
  std::vector<std::unique_ptr<StreamLogReader>> stream_logs;
  std::unique_ptr<StreamApi> streams;

  std::unique_ptr<AdminApi> admin;
  Router router;
  std::unique_ptr<HttpServer> http;
};

Node::Node(NodeOptions options) : options_(std::move(options)), parts_(std::make_unique<Parts>()) {}

Node::~Node() { Stop(); }

uint16_t Node::port() const { return parts_->http ? parts_->http->port() : 0; }

std::string Node::log_description() const {
  if (options_.log == "embedded") return "embedded log in " + options_.data_dir + "/log";
  return "kafka " + options_.log.substr(8) + " topic " + options_.kafka_topic;
}

namespace {

absl::StatusOr<std::unique_ptr<Store>> OpenStore(const std::string& path,
                                                 std::vector<std::string> cfs,
                                                 std::map<std::string, int64_t> expiring = {},
                                                 std::vector<std::string> hot = {}) {
  StoreOptions so;
  so.path = path;
  so.column_families = std::move(cfs);
  so.expiring_families_ms = std::move(expiring);
  so.hot_counter_families = std::move(hot);
  return Store::Open(so);
}

}  // namespace

absl::Status Node::Start() {
  Parts& p = *parts_;
  std::error_code ec;
  std::filesystem::create_directories(options_.data_dir, ec);
  if (ec) return absl::UnavailableError("cannot create " + options_.data_dir + ": " + ec.message());
  // Every store opened from here on (the log's, the decision state's, the
  // read models' and their rebuilds') shares one memtable budget and one
  // block cache.
  SetMemtableBudget(options_.memtable_budget_mib << 20);
  SetBlockCacheBudget(options_.block_cache_mib << 20, options_.cache_index_and_filters);
  SetPointCacheBudget(options_.point_cache_mib << 20);

  // The event log.
  if (options_.log == "embedded") {
    EmbeddedLogOptions lo;
    lo.dir = options_.data_dir + "/log";
    lo.partitions = options_.partitions;
    lo.sync = options_.fsync;
    auto log = OpenEmbeddedEventLog(lo);
    if (!log.ok()) return log.status();
    p.log = std::move(*log);
  } else {
    KafkaLogOptions ko;
    ko.brokers = options_.log.substr(8);
    ko.topic = options_.kafka_topic;
    ko.partitions = options_.partitions;
    auto log = OpenKafkaEventLog(ko);
    if (!log.ok()) return log.status();
    p.log = std::move(*log);
  }

  p.ids = std::make_unique<IdGenerator>(options_.node_id);
  auto secret = TokenSigner::LoadOrCreateSecret(options_.token_secret_file);
  if (!secret.ok()) return secret.status();
  p.signer = std::make_unique<TokenSigner>(*secret);
  p.hasher = std::make_unique<PasswordHasher>(
      PasswordHasherOptions{options_.argon2_time_cost, options_.argon2_memory_kib, 1});

  // Operations endpoints.
  p.router.Add("GET", "/healthz", [](HttpRequest&) {
    return HttpResponse::JsonBody(200, Json{{"status", "ok"}});
  });
  p.router.Add("GET", "/readyz", [this](HttpRequest&) {
    Parts& p = *parts_;
    Json body{{"log", p.log->backend()}};
    bool ready = true;
    if (absl::Status s = p.log->Health(); !s.ok()) {
      ready = false;
      body["log_error"] = std::string(s.message());
    }
    Json projections = Json::object();
    auto add = [&](ProjectorRunner* r) {
      absl::Status h = r->health();
      projections[std::string(r->name())] = Json{{"lag", r->Lag()}, {"ok", h.ok()}};
      if (!h.ok()) {
        ready = false;
        projections[std::string(r->name())]["error"] = std::string(h.message());
      }
    };
    if (p.decision_runner) add(p.decision_runner.get());
    for (auto& m : p.read_models) add(m->runner().get());
    body["projections"] = projections;
    if (p.bus && !p.bus->caught_up()) {
      ready = false;
      body["commands"] = "catching up with the event log";
    }
    body["status"] = ready ? "ready" : "not_ready";
    return HttpResponse::JsonBody(ready ? 200 : 503, body);
  });
  p.router.Add("GET", "/metrics", [this](HttpRequest&) {
    return HttpResponse::Text(200, parts_->metrics.RenderPrometheus(),
                              "text/plain; version=0.0.4; charset=utf-8");
  });

  // Command side.
  if (options_.run_commands) {
    auto store = OpenStore(options_.data_dir + "/decision", DecisionState::ColumnFamilies(),
                           DecisionState::ExpiringFamiliesMs(), DecisionState::HotCounterFamilies());
    if (!store.ok()) return store.status();
    p.decision_store = std::move(*store);
    p.decision = std::make_unique<DecisionState>(p.decision_store.get());
    // On a log whose commits this node makes (embedded), the log's writer
    // applies the decision state before it acknowledges an append: a
    // command's answer then waits for one thread, not for a reader to wake.
    ProjectorOptions po;
    po.fed_by_commits = options_.decision_fed_by_commits && p.log->backend() == "embedded";
    p.decision_runner = std::make_unique<ProjectorRunner>(p.log.get(), p.decision_store.get(),
                                                          p.decision.get(), &p.metrics, po);
    if (po.fed_by_commits)
      if (absl::Status s = p.log->SetCommitObserver(p.decision_runner.get()); !s.ok()) return s;
    if (absl::Status s = p.decision_runner->Start(); !s.ok()) return s;
    p.bus = std::make_unique<CommandBus>(p.log.get(), p.ids.get(), p.decision.get(),
                                         p.decision_runner.get(), &p.metrics);
    if (absl::Status s = p.bus->RequireCatchUpToLogEnd(); !s.ok()) return s;
    p.command_auth = std::make_unique<Authenticator>(p.signer.get(), p.decision.get());
    AccountCommandOptions ao;
    ao.session_ttl_ms = options_.session_ttl_seconds * 1000;
    p.account_commands = std::make_unique<AccountCommandApi>(
        p.bus.get(), p.decision.get(), p.ids.get(), p.hasher.get(), p.signer.get(),
        p.command_auth.get(), ao);
    p.account_commands->RegisterRoutes(&p.router);
    p.social_commands = std::make_unique<SocialCommandApi>(p.bus.get(), p.decision.get(),
                                                           p.ids.get(), p.command_auth.get());
    p.social_commands->RegisterRoutes(&p.router);
    p.message_commands = std::make_unique<MessageCommandApi>(p.bus.get(), p.decision.get(),
                                                             p.ids.get(), p.command_auth.get());
    p.message_commands->RegisterRoutes(&p.router);
  }

  // Read side.
  if (options_.run_reads) {
    p.read_model_dirs = std::make_unique<ReadModelDirs>(options_.data_dir + "/readmodels");
    std::error_code dir_ec;
    std::filesystem::create_directories(p.read_model_dirs->root(), dir_ec);
    if (dir_ec) return absl::UnavailableError("cannot create " + p.read_model_dirs->root());
    const SocialProjectionOptions social_options{options_.feed_cap, options_.celebrity_threshold};
    std::vector<std::pair<std::string, std::function<std::unique_ptr<Projection>()>>> factories = {
        {"accounts", [] { return std::make_unique<AccountsProjection>(); }},
        {"social",
         [social_options, n = &p.notifier] {
           return std::make_unique<SocialProjection>(social_options, n);
         }},
        {"notifications",
         [n = &p.notifier] { return std::make_unique<NotificationsProjection>(n); }},
        {"messages", [n = &p.notifier] { return std::make_unique<MessagesProjection>(n); }},
        {"search", [] { return std::make_unique<SearchProjection>(); }},
    };
    for (auto& [name, factory] : factories) {
      ServedReadModelOptions mo;
      mo.name = name;
      mo.make_projection = factory;
      mo.dirs = p.read_model_dirs.get();
      mo.log = p.log.get();
      mo.metrics = &p.metrics;
      mo.projector.batch_window = absl::Milliseconds(options_.projector_batch_ms);
      auto model = ServedReadModel::Open(std::move(mo));
      if (!model.ok()) return model.status();
      if (absl::Status s = (*model)->Start(); !s.ok()) return s;
      p.read_models.push_back(std::move(*model));
    }
    auto slot_of = [&](std::string_view name) -> const StoreSlot* {
      for (auto& m : p.read_models)
        if (m->name() == name) return m->slot();
      return nullptr;
    };
    p.accounts = std::make_unique<AccountsReader>(slot_of("accounts"));
    p.query_auth = std::make_unique<Authenticator>(p.signer.get(), p.accounts.get());
    p.gate = std::make_unique<QueryGate>(
        p.query_auth.get(), [this](const ConsistencyToken& token, absl::Time deadline) {
          for (auto& m : parts_->read_models)
            if (!m->WaitFor(token, deadline)) return false;
          return true;
        });
    p.social = std::make_unique<SocialReader>(slot_of("social"));
    p.account_queries =
        std::make_unique<AccountQueryApi>(p.gate.get(), p.accounts.get(), p.social.get());
    p.account_queries->RegisterRoutes(&p.router);
    p.social_queries =
        std::make_unique<SocialQueryApi>(p.gate.get(), p.accounts.get(), p.social.get());
    p.social_queries->RegisterRoutes(&p.router);
    p.notifications = std::make_unique<NotificationsReader>(slot_of("notifications"));
    p.notification_queries = std::make_unique<NotificationQueryApi>(
        p.gate.get(), p.accounts.get(), p.notifications.get());
    p.notification_queries->RegisterRoutes(&p.router);
    p.messages = std::make_unique<MessagesReader>(slot_of("messages"));
    p.message_queries =
        std::make_unique<MessageQueryApi>(p.gate.get(), p.accounts.get(), p.messages.get());
    p.message_queries->RegisterRoutes(&p.router);
    p.search = std::make_unique<SearchReader>(slot_of("search"));
    p.search_queries = std::make_unique<SearchQueryApi>(p.gate.get(), p.accounts.get(),
                                                        p.social.get(), p.search.get());
    p.search_queries->RegisterRoutes(&p.router);
    std::vector<StreamSource> sources;
    for (auto [letter, name] : {std::pair{'f', "social"}, std::pair{'n', "notifications"},
                                std::pair{'m', "messages"}}) {
      ServedReadModel* model = nullptr;
      for (auto& m : p.read_models)
        if (m->name() == name) model = m.get();
      p.stream_logs.push_back(std::make_unique<StreamLogReader>(model->slot()));
      sources.push_back(StreamSource{letter, p.stream_logs.back().get(),
                                     [model] { return model->runner()->applied(); }});
    }
    // Celebrities' posts, which are not fanned out: each follower's stream
    // reads them from the celebrities it follows (up to 1,000 of them).
    {
      ServedReadModel* social = nullptr;
      for (auto& m : p.read_models)
        if (m->name() == "social") social = m.get();
      p.stream_logs.push_back(
          std::make_unique<StreamLogReader>(social->slot(), stream_log::kAuthorStream));
      SocialReader* reader = p.social.get();
      sources.push_back(StreamSource{
          'c', p.stream_logs.back().get(), [social] { return social->runner()->applied(); },
          [reader](uint64_t user) {
            auto page = reader->ListAscending(social_model::kViewerCelebs, user, 0, 1000);
            return page.ok() ? page->ids : std::vector<uint64_t>();
          }});
    }
    p.streams = std::make_unique<StreamApi>(p.query_auth.get(), &p.notifier, p.accounts.get(),
                                            std::move(sources), p.log->partition_count());
    p.streams->RegisterRoutes(&p.router);
  }

  // Gauges read at scrape time.
  p.metrics.AddGauge(
      "lens_projector_lag_events", "Log records not yet applied, per projection", [this] {
        std::vector<std::pair<MetricLabels, double>> out;
        auto add = [&](ProjectorRunner* r) {
          out.push_back({{{"projection", std::string(r->name())}}, static_cast<double>(r->Lag())});
        };
        if (parts_->decision_runner) add(parts_->decision_runner.get());
        for (auto& m : parts_->read_models) add(m->runner().get());
        return out;
      });
  p.metrics.AddGauge("lens_projector_applied_offset",
                     "Next offset to apply, per projection and partition", [this] {
                       std::vector<std::pair<MetricLabels, double>> out;
                       auto add = [&](ProjectorRunner* r) {
                         auto applied = r->applied();
                         for (size_t i = 0; i < applied.size(); ++i)
                           out.push_back({{{"projection", std::string(r->name())},
                                           {"partition", std::to_string(i)}},
                                          static_cast<double>(applied[i])});
                       };
                       if (parts_->decision_runner) add(parts_->decision_runner.get());
                       for (auto& m : parts_->read_models) add(m->runner().get());
                       return out;
                     });
  p.metrics.AddGauge("lens_projector_events_per_second",
                     "Events applied per second over the last 5 s, per projection", [this] {
                       std::vector<std::pair<MetricLabels, double>> out;
                       auto add = [&](ProjectorRunner* r) {
                         out.push_back({{{"projection", std::string(r->name())}},
                                        r->events_per_second()});
                       };
                       if (parts_->decision_runner) add(parts_->decision_runner.get());
                       for (auto& m : parts_->read_models) add(m->runner().get());
                       return out;
                     });
  p.metrics.AddGauge(
      "lens_store_memory_bytes",
      "RocksDB memory of each store: memtables, block cache, table readers (outside the cache); "
      "store=\"all\" for the block cache the stores share",
      [this] {
        std::vector<std::pair<MetricLabels, double>> out;
        const bool shared_cache = options_.block_cache_mib > 0;
        if (shared_cache)
          out.push_back({{{"store", "all"}, {"kind", "block_cache"}},
                         static_cast<double>(SharedBlockCacheUsage())});
        if (std::shared_ptr<PointCache> cache = SharedPointCache())
          out.push_back({{{"store", "all"}, {"kind", "point_cache"}},
                         static_cast<double>(cache->usage())});
        auto add = [&](std::string_view name, Store* store) {
          if (store == nullptr) return;
          rocksdb::DB* db = store->db();
          uint64_t memtables = 0, cache = 0, readers = 0;
          db->GetAggregatedIntProperty("rocksdb.cur-size-all-mem-tables", &memtables);
          db->GetAggregatedIntProperty("rocksdb.estimate-table-readers-mem", &readers);
          out.push_back({{{"store", std::string(name)}, {"kind", "memtables"}},
                         static_cast<double>(memtables)});
          out.push_back({{{"store", std::string(name)}, {"kind", "table_readers"}},
                         static_cast<double>(readers)});
          if (!shared_cache && db->GetIntProperty("rocksdb.block-cache-usage", &cache))
            out.push_back({{{"store", std::string(name)}, {"kind", "block_cache"}},
                           static_cast<double>(cache)});
        };
        add("decision", parts_->decision_store.get());
        for (auto& m : parts_->read_models) {
          std::shared_ptr<Store> store = m->slot()->Get();
          add(m->name(), store.get());
        }
        return out;
      });
  p.metrics.AddGauge("lens_point_cache_lookups",
                     "Point reads of the read models the point cache answered (hit) or not (miss) "
                     "since the node started",
                     [] {
                       std::vector<std::pair<MetricLabels, double>> out;
                       if (std::shared_ptr<PointCache> cache = SharedPointCache()) {
                         out.push_back({{{"result", "hit"}}, static_cast<double>(cache->hits())});
                         out.push_back({{{"result", "miss"}}, static_cast<double>(cache->misses())});
                       }
                       return out;
                     });
  p.metrics.AddGauge("lens_rebuild_progress_ratio",
                     "Share of the log a rebuild in progress has applied, per read model", [this] {
                       std::vector<std::pair<MetricLabels, double>> out;
                       for (auto& m : parts_->read_models) {
                         RebuildProgress r = m->rebuild();
                         if (r.state == RebuildState::kNone || r.state == RebuildState::kDone) continue;
                         out.push_back({{{"projection", m->name()},
                                         {"state", std::string(RebuildStateName(r.state))}},
                                        r.target ? static_cast<double>(r.applied) / r.target : 0.0});
                       }
                       return out;
                     });
  p.metrics.AddGauge("lens_eventlog_end_offset", "Records in the event log, per partition", [this] {
    std::vector<std::pair<MetricLabels, double>> out;
    for (uint32_t i = 0; i < parts_->log->partition_count(); ++i) {
      auto end = parts_->log->EndOffset(i);
      if (end.ok()) out.push_back({{{"partition", std::to_string(i)}}, static_cast<double>(*end)});
    }
    return out;
  });

  // The admin API (lensctl).
  auto admin_key = TokenSigner::LoadOrCreateSecret(options_.admin_key_file);
  if (!admin_key.ok()) return admin_key.status();
  std::vector<ServedReadModel*> models;
  for (auto& m : p.read_models) models.push_back(m.get());
  p.admin = std::make_unique<AdminApi>(HexEncode(*admin_key), p.log.get(), std::move(models),
                                       p.decision_runner.get(),
                                       [this](const std::string& dir) { return Backup(dir); });
  p.admin->RegisterRoutes(&p.router);

  HttpServerOptions ho;
  ho.address = options_.address;
  ho.port = options_.port;
  ho.body_limit = options_.body_limit;
  ho.read_timeout = absl::Seconds(options_.read_timeout_seconds);
  ho.idle_timeout = absl::Seconds(options_.idle_timeout_seconds);
  ho.max_connections = options_.max_connections;
  ho.worker_threads = options_.worker_threads;
  ho.io_threads = options_.io_threads;
  ho.access_log = options_.access_log;
  // Queries read the read models and answer without waiting on anything,
  // unless a Consistency-Token asks them to wait for a write: those run on
  // the I/O threads, which spares a feed page two thread hand-offs (a
  // third of a page's cost on a 2-core VM). Commands, which wait for the
  // log, live streams and the admin API go to the worker pool.
  ho.run_inline = [](const HttpRequest& r) {
    if (r.method != "GET" || r.Header("consistency-token")) return false;
    std::string_view path = r.path;
    return path.starts_with("/api/v1/") && !path.starts_with("/api/v1/stream");
  };
  p.http = std::make_unique<HttpServer>(ho, &p.router, &p.metrics);
  if (absl::Status s = p.http->Start(); !s.ok()) return s;

  // Where lensctl finds this node's admin API (removed at Stop).
  const std::string host =
      options_.address == "0.0.0.0" || options_.address == "::" ? "127.0.0.1" : options_.address;
  Json node{{"admin_url", "http://" + host + ":" + std::to_string(p.http->port())},
            {"pid", static_cast<int64_t>(::getpid())},
            {"admin_key_file", std::filesystem::absolute(options_.admin_key_file, ec).string()}};
  const std::string tmp = options_.data_dir + "/node.json.tmp";
  std::ofstream(tmp) << node.dump() << "\n";
  std::filesystem::rename(tmp, options_.data_dir + "/node.json", ec);
  if (!ec) node_file_ = options_.data_dir + "/node.json";
  return absl::OkStatus();
}

absl::StatusOr<Json> Node::Backup(const std::string& dir) {
  Parts& p = *parts_;
  std::error_code ec;
  std::filesystem::create_directories(dir + "/readmodels", ec);
  if (ec) return absl::UnavailableError("cannot create " + dir + ": " + ec.message());
  Json manifest{{"created_at", FormatIsoMillis(NowMillis())}, {"stores", Json::array()}};
  // Read models and decision state first, the log last: the restored log is
  // then never behind a restored store, and the node catches up from it.
  for (auto& m : p.read_models) {
    std::shared_ptr<Store> store = m->slot()->Get();  // stays open across a swap
    RETURN_IF_ERROR(store->Checkpoint(dir + "/readmodels/" + m->name()));
    manifest["stores"].push_back("readmodels/" + m->name());
  }
  if (p.decision_store) {
    RETURN_IF_ERROR(p.decision_store->Checkpoint(dir + "/decision"));
    manifest["stores"].push_back("decision");
  }
  absl::Status log = p.log->Checkpoint(dir + "/log");
  if (log.ok()) {
    manifest["stores"].push_back("log");
  } else if (absl::IsUnimplemented(log)) {
    manifest["log"] = std::string(p.log->backend());  // Kafka keeps the log
  } else {
    return log;
  }
  std::filesystem::create_directories(dir + "/secrets", ec);
  std::filesystem::copy_file(options_.token_secret_file, dir + "/secrets/token.key", ec);
  if (ec) return absl::UnavailableError("cannot copy the token key: " + ec.message());
  std::filesystem::permissions(dir + "/secrets/token.key",
                               std::filesystem::perms::owner_read | std::filesystem::perms::owner_write, ec);
  std::ofstream(dir + "/BACKUP.json") << manifest.dump(2) << "\n";
  LogInfo("backup written", {{"path", dir}});
  return manifest;
}

void Node::Stop() {
  Parts& p = *parts_;
  if (p.http) p.http->Stop();  // in-flight commands finish and are answered first
  for (auto& m : p.read_models) m->Stop();  // a rebuild in progress pauses
  if (p.decision_runner) {
    if (p.log) p.log->SetCommitObserver(nullptr).IgnoreError();
    p.decision_runner->Stop();
  }
  if (p.log) p.log->Close();
  p.http.reset();
  p.read_models.clear();
  if (!node_file_.empty()) {
    std::error_code ec;
    std::filesystem::remove(node_file_, ec);
    node_file_.clear();
  }
  p.decision_runner.reset();
  p.decision_store.reset();
  p.log.reset();
}

}  // namespace lens
