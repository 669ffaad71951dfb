#include "events/upcasters.h"

#include <map>
#include <string>
#include <utility>

#include "events/account_events.h"

namespace lens {
namespace {

using Step = std::function<absl::Status(Json& data)>;

struct Registry {
  std::map<std::string, int, std::less<>> current;
  std::map<std::pair<std::string, int>, Step> steps;  // (type, from_version)
};

const Registry& GetRegistry() {
  static const Registry* r = [] {
    auto* reg = new Registry();
    // AccountRegistered v1 carried no display_name; v2 defaults it to the
    // username, which is what v1 clients showed.
    reg->current[std::string(kAccountRegistered)] = 2;
    reg->steps[{std::string(kAccountRegistered), 1}] = [](Json& d) {
      if (!d.contains("display_name")) {
        if (!d.contains("username") || !d["username"].is_string())
          return absl::InvalidArgumentError("AccountRegistered v1 without username");
        d["display_name"] = d["username"];
      }
      return absl::OkStatus();
    };
    return reg;
  }();
  return *r;
}

}  // namespace

int CurrentVersion(std::string_view type) {
  const Registry& r = GetRegistry();
  auto it = r.current.find(type);
  return it == r.current.end() ? 1 : it->second;
}

absl::Status UpcastToCurrent(Event& e) {
  const int target = CurrentVersion(e.type);
  if (e.v > target)
    return absl::FailedPreconditionError("event " + e.type + " v" + std::to_string(e.v) +
                                         " is newer than this build (v" + std::to_string(target) +
                                         ")");
  if (e.v < 1) return absl::InvalidArgumentError("event version must be >= 1");
  const Registry& r = GetRegistry();
  while (e.v < target) {
    auto it = r.steps.find({e.type, e.v});
    if (it == r.steps.end())
      return absl::InvalidArgumentError("no upcaster for " + e.type + " v" + std::to_string(e.v));
    if (absl::Status s = it->second(e.data); !s.ok()) return s;
    ++e.v;
  }
  return absl::OkStatus();
}

}  // namespace lens
