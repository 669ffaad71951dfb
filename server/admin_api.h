// AdminApi: the operator's HTTP endpoints of a node, used by lensctl.
//
//   GET    /admin/v1/status                      read models, runners, rebuilds
//   POST   /admin/v1/rebuilds                    {"projection": NAME|"all", "restart": bool,
//                                                 "max_events_per_second": N}
//   POST   /admin/v1/rebuilds/{projection}/pause keep it on disk, resume later
//   DELETE /admin/v1/rebuilds/{projection}       stop it and delete it
//   POST   /admin/v1/backups                     {"path": "/abs/dir"}: checkpoints
//                                                 of the live stores and log
//
// Every request needs "Authorization: Bearer <admin key>", the hex of the
// node's admin key file (DATA/secrets/admin.key, 0600): whoever can read the
// data directory may administer the node, nobody else.
#ifndef LENS_SERVER_ADMIN_API_H_
#define LENS_SERVER_ADMIN_API_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "eventlog/event_log.h"
#include "http/router.h"
#include "projector/projector_runner.h"
#include "projector/served_read_model.h"

namespace lens {

class AdminApi {
 public:
  // `decision` (the command side's runner) may be null; the others must
  // outlive the API.
  // Writes a backup into a new directory; returns its manifest.
  using BackupFn = std::function<absl::StatusOr<Json>(const std::string& dir)>;

  AdminApi(std::string admin_key_hex, EventLog* log, std::vector<ServedReadModel*> read_models,
           ProjectorRunner* decision, BackupFn backup)
      : key_(std::move(admin_key_hex)), log_(log), read_models_(std::move(read_models)),
        decision_(decision), backup_(std::move(backup)) {}

  void RegisterRoutes(Router* router);

 private:
  absl::Status Authorize(const HttpRequest& req) const;
  HttpResponse Status(HttpRequest& req);
  HttpResponse StartRebuild(HttpRequest& req);
  HttpResponse PauseRebuild(HttpRequest& req);
  HttpResponse DiscardRebuild(HttpRequest& req);
  HttpResponse Backup(HttpRequest& req);
  // The read models `name` selects ("all" selects every one); 404 naming
  // the valid ones otherwise.
  absl::StatusOr<std::vector<ServedReadModel*>> Select(std::string_view name) const;

  const std::string key_;
  EventLog* const log_;
  const std::vector<ServedReadModel*> read_models_;
  ProjectorRunner* const decision_;
  const BackupFn backup_;
  absl::Mutex backup_mu_;  // one backup at a time
};

}  // namespace lens

#endif  // LENS_SERVER_ADMIN_API_H_
