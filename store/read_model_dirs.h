// ReadModelDirs: where a node keeps its read-model stores, and which of
// them serves.
//
//   readmodels/NAME/         generation 0, the store a new node builds
//   readmodels/NAME.g<N>/    generation N >= 1, built by a rebuild
//   readmodels/NAME.active   "N\n": the generation that serves (absent: 0)
//
// A rebuild writes generation active+1 beside the serving one and makes it
// active by replacing NAME.active atomically (write, fsync, rename, fsync
// the directory). So after a crash at any point the node serves either the
// old generation or the finished new one, never a half-built store; a
// generation above the active one is a rebuild to resume, one below it is
// left over from a swap and may be deleted.
#ifndef LENS_STORE_READ_MODEL_DIRS_H_
#define LENS_STORE_READ_MODEL_DIRS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace lens {

class ReadModelDirs {
 public:
  // `root` is DATA/readmodels.
  explicit ReadModelDirs(std::string root) : root_(std::move(root)) {}

  const std::string& root() const { return root_; }
  std::string PathOf(std::string_view name, uint32_t generation) const;

  // The serving generation of `name` (0 when NAME.active is absent).
  absl::StatusOr<uint32_t> Active(std::string_view name) const;
  absl::StatusOr<std::string> ActivePath(std::string_view name) const;
  // Durably makes `generation` the serving one.
  absl::Status SetActive(std::string_view name, uint32_t generation) const;

  // Generations of `name` with a store on disk, ascending.
  std::vector<uint32_t> Generations(std::string_view name) const;
  // Names of the read models with a serving store on disk, sorted.
  std::vector<std::string> Names() const;
  // Deletes the store of a generation that does not serve.
  absl::Status Remove(std::string_view name, uint32_t generation) const;

 private:
  std::string root_;
};

}  // namespace lens

#endif  // LENS_STORE_READ_MODEL_DIRS_H_
