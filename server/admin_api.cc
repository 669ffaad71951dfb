#include "server/admin_api.h"

#include <openssl/crypto.h>

#include <filesystem>

#include "http/request_fields.h"

namespace lens {
namespace {

Json RunnerJson(ProjectorRunner* r, const std::vector<uint64_t>& ends) {
  std::vector<uint64_t> applied = r->applied();
  Json parts = Json::array();
  uint64_t lag = 0;
  for (size_t p = 0; p < applied.size(); ++p) {
    uint64_t end = p < ends.size() ? ends[p] : 0;
    uint64_t behind = end > applied[p] ? end - applied[p] : 0;
    lag += behind;
    parts.push_back(Json{{"partition", p}, {"applied", applied[p]}, {"end", end}, {"lag", behind}});
  }
  absl::Status h = r->health();
  Json j{{"lag_events", lag},
         {"events_per_second", r->events_per_second()},
         {"ok", h.ok()},
         {"partitions", parts}};
  if (!h.ok()) j["error"] = std::string(h.message());
  return j;
}

}  // namespace

void AdminApi::RegisterRoutes(Router* router) {
  router->Add("GET", "/admin/v1/status", [this](HttpRequest& r) { return Status(r); });
  router->Add("POST", "/admin/v1/rebuilds", [this](HttpRequest& r) { return StartRebuild(r); });
  router->Add("POST", "/admin/v1/rebuilds/{projection}/pause",
              [this](HttpRequest& r) { return PauseRebuild(r); });
  router->Add("DELETE", "/admin/v1/rebuilds/{projection}",
              [this](HttpRequest& r) { return DiscardRebuild(r); });
  router->Add("POST", "/admin/v1/backups", [this](HttpRequest& r) { return Backup(r); });
}

absl::Status AdminApi::Authorize(const HttpRequest& req) const {
  auto header = req.Header("authorization");
  constexpr std::string_view kBearer = "Bearer ";
  if (!header || header->substr(0, kBearer.size()) != kBearer)
    return ApiError(absl::StatusCode::kUnauthenticated, "unauthenticated",
                    "the admin API needs 'Authorization: Bearer <admin key>'");
  std::string_view presented = header->substr(kBearer.size());
  // Constant time in the key's contents.
  if (presented.size() != key_.size() ||
      CRYPTO_memcmp(presented.data(), key_.data(), key_.size()) != 0)
    return ApiError(absl::StatusCode::kUnauthenticated, "unauthenticated", "wrong admin key");
  return absl::OkStatus();
}

absl::StatusOr<std::vector<ServedReadModel*>> AdminApi::Select(std::string_view name) const {
  if (name == "all") return read_models_;
  std::string valid;
  for (ServedReadModel* m : read_models_) {
    if (m->name() == name) return std::vector<ServedReadModel*>{m};
    valid += (valid.empty() ? "" : ", ") + m->name();
  }
  return ApiError(absl::StatusCode::kNotFound, "unknown_projection",
                  "unknown projection '" + std::string(name) + "'; valid: " +
                      (valid.empty() ? "none (this node serves no read models)" : valid + ", all"),
                  "projection");
}

HttpResponse AdminApi::Status(HttpRequest& req) {
  if (absl::Status s = Authorize(req); !s.ok()) return HttpResponse::FromStatus(s);
  std::vector<uint64_t> ends;
  for (uint32_t p = 0; p < log_->partition_count(); ++p) {
    auto end = log_->EndOffset(p);
    if (!end.ok()) return HttpResponse::FromStatus(end.status());
    ends.push_back(*end);
  }
  Json out{{"log", log_->backend()}, {"partitions", log_->partition_count()}, {"log_end", ends}};
  Json projections = Json::array();
  if (decision_ != nullptr) {
    Json j = RunnerJson(decision_, ends);
    j["name"] = std::string(decision_->name());
    projections.push_back(std::move(j));
  }
  for (ServedReadModel* m : read_models_) {
    Json j = RunnerJson(m->runner().get(), ends);
    j["name"] = m->name();
    j["generation"] = m->generation();
    j["rebuild"] = m->rebuild().ToJson();
    projections.push_back(std::move(j));
  }
  out["projections"] = std::move(projections);
  return HttpResponse::JsonBody(200, out);
}

HttpResponse AdminApi::StartRebuild(HttpRequest& req) {
  if (absl::Status s = Authorize(req); !s.ok()) return HttpResponse::FromStatus(s);
  auto body = ParseRequestObject(req.body, {"projection", "restart", "max_events_per_second"});
  if (!body.ok()) return HttpResponse::FromStatus(body.status());
  auto name = RequiredString(*body, "projection", {.max_chars = 64, .min_chars = 1});
  if (!name.ok()) return HttpResponse::FromStatus(name.status());
  auto restart = OptionalBool(*body, "restart");
  if (!restart.ok()) return HttpResponse::FromStatus(restart.status());
  RebuildOptions options;
  options.restart = restart->value_or(false);
  if (body->contains("max_events_per_second") && !(*body)["max_events_per_second"].is_null()) {
    const Json& rate = (*body)["max_events_per_second"];
    if (!rate.is_number_integer() || rate.get<int64_t>() < 0)
      return HttpResponse::FromStatus(ApiError(absl::StatusCode::kInvalidArgument, "invalid_field",
                                               "max_events_per_second must be a whole number >= 0",
                                               "max_events_per_second"));
    options.max_events_per_second = rate.get<uint64_t>();
  }
  auto selected = Select(*name);
  if (!selected.ok()) return HttpResponse::FromStatus(selected.status());
  // Check all before starting any, so "all" starts all or none.
  for (ServedReadModel* m : *selected) {
    RebuildState st = m->rebuild().state;
    if (st == RebuildState::kRunning || st == RebuildState::kSwapping)
      return HttpResponse::FromStatus(ApiError(absl::StatusCode::kFailedPrecondition,
                                               "rebuild_running",
                                               "a rebuild of " + m->name() + " is already running"));
  }
  Json started = Json::array();
  for (ServedReadModel* m : *selected) {
    if (absl::Status s = m->StartRebuild(options); !s.ok())
      return HttpResponse::FromStatus(s);
    started.push_back(Json{{"projection", m->name()}, {"rebuild", m->rebuild().ToJson()}});
  }
  return HttpResponse::JsonBody(202, Json{{"rebuilds", started}});
}

HttpResponse AdminApi::PauseRebuild(HttpRequest& req) {
  if (absl::Status s = Authorize(req); !s.ok()) return HttpResponse::FromStatus(s);
  auto selected = Select(req.path_params[0]);
  if (!selected.ok()) return HttpResponse::FromStatus(selected.status());
  Json out = Json::array();
  for (ServedReadModel* m : *selected) {
    if (absl::Status s = m->PauseRebuild(); !s.ok()) return HttpResponse::FromStatus(s);
    out.push_back(Json{{"projection", m->name()}, {"rebuild", m->rebuild().ToJson()}});
  }
  return HttpResponse::JsonBody(200, Json{{"rebuilds", out}});
}

HttpResponse AdminApi::DiscardRebuild(HttpRequest& req) {
  if (absl::Status s = Authorize(req); !s.ok()) return HttpResponse::FromStatus(s);
  auto selected = Select(req.path_params[0]);
  if (!selected.ok()) return HttpResponse::FromStatus(selected.status());
  Json out = Json::array();
  for (ServedReadModel* m : *selected) {
    absl::Status s = m->DiscardRebuild();
    if (!s.ok() && !(absl::IsNotFound(s) && selected->size() > 1)) return HttpResponse::FromStatus(s);
    out.push_back(Json{{"projection", m->name()}, {"discarded", s.ok()}});
  }
  return HttpResponse::JsonBody(200, Json{{"rebuilds", out}});
}

HttpResponse AdminApi::Backup(HttpRequest& req) {
  if (absl::Status s = Authorize(req); !s.ok()) return HttpResponse::FromStatus(s);
  auto body = ParseRequestObject(req.body, {"path"});
  if (!body.ok()) return HttpResponse::FromStatus(body.status());
  auto path = RequiredString(*body, "path", {.max_chars = 4096, .min_chars = 1});
  if (!path.ok()) return HttpResponse::FromStatus(path.status());
  if ((*path)[0] != '/')
    return HttpResponse::FromStatus(ApiError(absl::StatusCode::kInvalidArgument, "invalid_field",
                                             "path must be absolute", "path"));
  absl::MutexLock lock(&backup_mu_);
  std::error_code ec;
  if (std::filesystem::exists(*path, ec) && !std::filesystem::is_empty(*path, ec))
    return HttpResponse::FromStatus(ApiError(absl::StatusCode::kAlreadyExists, "not_empty",
                                             "refusing to back up into non-empty " + *path, "path"));
  auto manifest = backup_(*path);
  if (!manifest.ok()) return HttpResponse::FromStatus(manifest.status());
  return HttpResponse::JsonBody(201, *manifest);
}

}  // namespace lens
