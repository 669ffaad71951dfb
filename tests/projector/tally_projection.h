// TallyProjection: a read model that is wrong after any lost or repeated
// event: per key it keeps a read-modify-write count, a merge-operator
// count, and the list of event ids in apply order, indexed by that count.
// The crash test compares it between a killed-and-restarted run and an
// uninterrupted one.
#ifndef LENS_TESTS_PROJECTOR_TALLY_PROJECTION_H_
#define LENS_TESTS_PROJECTOR_TALLY_PROJECTION_H_

#include <string>

#include "base/big_endian.h"
#include "projector/apply_context.h"
#include "projector/projection.h"

namespace lens::testing {

class TallyProjection : public Projection {
 public:
  std::string_view name() const override { return "tally"; }
  std::vector<std::string> column_families() const override {
    return {"counts", "merged", "lists"};
  }
  absl::Status Apply(const Event& e, const LogPosition& pos, ApplyContext& ctx) override {
    auto v = ctx.Get("counts", e.key);
    if (!v.ok()) return v.status();
    uint64_t n = v->has_value() ? std::stoull(**v) : 0;
    ctx.Put("counts", e.key, std::to_string(n + 1));
    ctx.AddToCounter("merged", e.key, 1);
    std::string list_key = e.key + "/" + BigEndian64(n);
    ctx.Put(
        "lists", list_key,
        e.id.ToString() + "@" + std::to_string(pos.partition) + ":" + std::to_string(pos.offset));
    return absl::OkStatus();
  }
};

}  // namespace lens::testing

#endif  // LENS_TESTS_PROJECTOR_TALLY_PROJECTION_H_
