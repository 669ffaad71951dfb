#include "events/event_codec.h"

#include "base/time.h"
#include "events/upcasters.h"

namespace lens {

Json EventToJson(const Event& e) {
  Json j = Json::object();
  j["id"] = e.id.ToString();
  j["type"] = e.type;
  j["v"] = e.v;
  j["key"] = e.key;
  j["ts"] = FormatIsoMillis(e.ts_ms);
  j["actor"] = e.actor;
  j["cmd"] = e.cmd;
  j["data"] = e.data;
  return j;
}

std::string EncodeEvent(const Event& e) { return DumpJson(EventToJson(e)); }

absl::StatusOr<Event> EventFromJson(const Json& j) { return EventFromJson(Json(j)); }

absl::StatusOr<Event> EventFromJson(Json&& j) {
  if (!j.is_object()) return absl::InvalidArgumentError("event is not a JSON object");
  // Moved out of `j`, which is this function's to consume.
  auto str = [&](const char* k) -> std::string* {
    auto it = j.find(k);
    if (it == j.end() || !it->is_string()) return nullptr;
    return it->get_ptr<std::string*>();
  };
  std::string *id = str("id"), *type = str("type"), *key = str("key"), *ts = str("ts");
  if (!id || !type || !key || !ts)
    return absl::InvalidArgumentError("event envelope lacks id/type/key/ts");
  auto v = j.find("v");
  if (v == j.end() || !v->is_number_integer())
    return absl::InvalidArgumentError("event envelope lacks v");
  if (v->get<int64_t>() < 1 || v->get<int64_t>() > 1000000 ||
      (v->is_number_unsigned() && v->get<uint64_t>() > 1000000))
    return absl::InvalidArgumentError("event version out of range");
  auto data = j.find("data");
  if (data == j.end() || !data->is_object())
    return absl::InvalidArgumentError("event envelope lacks data");
  Event e;
  auto parsed_id = EventId::Parse(*id);
  if (!parsed_id) return absl::InvalidArgumentError("event id is not a decimal id");
  e.id = *parsed_id;
  e.type = std::move(*type);
  e.v = v->get<int>();
  e.key = std::move(*key);
  auto ms = ParseIsoMillis(*ts);
  if (!ms) return absl::InvalidArgumentError("event ts is not ISO-8601 UTC");
  e.ts_ms = *ms;
  if (std::string* a = str("actor")) e.actor = std::move(*a);
  if (std::string* c = str("cmd")) e.cmd = std::move(*c);
  e.data = std::move(*data);
  if (absl::Status s = UpcastToCurrent(e); !s.ok()) return s;
  return e;
}

absl::StatusOr<Event> DecodeEvent(std::string_view record) {
  auto j = ParseJson(record);
  if (!j.ok()) return absl::InvalidArgumentError("event record is not JSON");
  return EventFromJson(std::move(*j));
}

std::optional<std::string_view> PeekEventType(std::string_view r) {
  size_t i = r.size();
  if (i == 0 || r[--i] != '}') return std::nullopt;
  const size_t digits_end = i;
  while (i > 0 && r[i - 1] >= '0' && r[i - 1] <= '9') --i;
  if (i == digits_end) return std::nullopt;
  constexpr std::string_view kVersionKey = "\",\"v\":";  // closes the type's string
  if (i < kVersionKey.size() || r.substr(i - kVersionKey.size(), kVersionKey.size()) != kVersionKey)
    return std::nullopt;
  i -= kVersionKey.size();
  const size_t type_end = i;
  while (i > 0 && r[i - 1] != '"' && r[i - 1] != '\\') --i;
  if (i == 0 || r[i - 1] != '"' || i == type_end) return std::nullopt;
  const size_t type_begin = i;
  // "type" is a member of the same (outermost) object as "v": the one
  // before it, or the first.
  constexpr std::string_view kTypeKey = "\"type\":\"";
  if (type_begin < kTypeKey.size() + 1 ||
      r.substr(type_begin - kTypeKey.size(), kTypeKey.size()) != kTypeKey)
    return std::nullopt;
  const char before = r[type_begin - kTypeKey.size() - 1];
  if (before != ',' && before != '{') return std::nullopt;
  return r.substr(type_begin, type_end - type_begin);
}

}  // namespace lens
