// What the lensctl commands share: flags, errors, the log and the stores of
// a data directory.
#ifndef LENS_TOOLS_LENSCTL_LENSCTL_COMMON_H_
#define LENS_TOOLS_LENSCTL_LENSCTL_COMMON_H_

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "eventlog/event_log.h"
#include "projections/social_projection_options.h"
#include "projector/projection.h"
#include "store/store.h"

namespace lens {

struct Flags {
  std::string data_dir = "./lens-data";
  std::string log = "embedded";
  std::string topic = "lens.events";
  uint32_t partitions = 0;
  bool json = false, follow = false, from_beginning = false, help = false;
  std::string from, type, key, actor, input, output, projection;
  uint64_t limit = 0;
  size_t feed_cap = SocialProjectionOptions{}.feed_cap;  // must match the node's
  int64_t celebrity_threshold = SocialProjectionOptions{}.celebrity_threshold;
  size_t max_differences = 100;
  // rebuild / replay
  std::string target;  // the positional PROJECTION|all
  bool restart = false, discard = false, pause = false, detach = false, offline = false;
  std::string node_url, admin_key_file;
  uint64_t max_rate = 0;
  bool accepts_target = false;  // set by commands that take a positional
};

// Prints "lensctl: MESSAGE" on stderr and returns `code`.
int Fail(const std::string& message, int code = 1);
bool ParseFlags(const std::vector<std::string>& args, Flags* f, std::string* error);

// A private directory for RocksDB secondary instances, removed at exit.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Opens the log: read-only beside a running node (`read_only`), or for
// appends and exclusive use.
absl::StatusOr<std::unique_ptr<EventLog>> OpenLog(const Flags& f, const ScratchDir& scratch,
                                                  bool read_only);

// The projection called `name` (decision, accounts, social), nullptr for
// another name. The decision state reads back its own store (`store`)
// while it applies; the read-model projections do not.
std::unique_ptr<Projection> MakeProjection(const std::string& name, const Flags& f, Store* store);

// The serving store of every projection under the data directory: the
// decision state and the active generation of each read model.
std::vector<std::pair<std::string, std::string>> ProjectionDirs(const std::string& data_dir);

// Opens a store as a RocksDB secondary (read-only beside its owner) with
// all its column families; `scratch` holds the secondary's own files.
absl::StatusOr<std::unique_ptr<Store>> OpenSecondaryStore(const std::string& path,
                                                          const std::string& scratch);

// lensctl rebuild|replay (rebuild_command.cc).
int RebuildCommand(const Flags& f);

}  // namespace lens

#endif  // LENS_TOOLS_LENSCTL_LENSCTL_COMMON_H_
