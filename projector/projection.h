// Projection: one read model built from the event log. A ProjectorRunner
// feeds it every event in log order (per partition) and commits what it
// wrote together with the applied position, atomically.
#ifndef LENS_PROJECTOR_PROJECTION_H_
#define LENS_PROJECTOR_PROJECTION_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "eventlog/log_position.h"
#include "events/event.h"

namespace lens {

class ApplyContext;

class Projection {
 public:
  virtual ~Projection() = default;

  // Short stable name: "accounts", "feeds", ... (metrics, lensctl, paths).
  virtual std::string_view name() const = 0;
  // The column families this read model uses (besides "default", which
  // the runner uses for its checkpoints).
  virtual std::vector<std::string> column_families() const = 0;
  // Of those, the counters hot enough to fold (StoreOptions::
  // hot_counter_families). Default: none.
  virtual std::vector<std::string> hot_counter_families() const { return {}; }
  // Of those, the ones the query side reads point by point, over and over
  // (StoreOptions::cached_families). Default: none.
  virtual std::vector<std::string> cached_families() const { return {}; }
  // Of those, the ones whose values expire (StoreOptions::
  // expiring_families_ms): name -> retention in ms. Default: none.
  virtual std::map<std::string, int64_t> expiring_families_ms() const { return {}; }

  // Whether Apply does anything with events of `type`. The runner does not
  // decode records of the types a projection ignores (it reads the type
  // off lens's own envelope encoding, events/event_codec.h PeekEventType),
  // which spares most of the JSON parsing of a projection that cares for a
  // few types. Default: every type.
  virtual bool Handles(std::string_view /*event_type*/) const { return true; }

  // Applies one event. Reads through `ctx` see this batch's earlier writes.
  // Events this projection does not care about are ignored (return OK). A
  // non-OK status stops the runner: a projection must not skip silently.
  virtual absl::Status Apply(const Event& event, const LogPosition& pos, ApplyContext& ctx) = 0;

  // Called after a batch is durable in the store (e.g. to wake live
  // streams). Default: nothing.
  virtual void OnCommitted() {}
};

}  // namespace lens

#endif  // LENS_PROJECTOR_PROJECTION_H_
