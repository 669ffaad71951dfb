#include "http/request_fields.h"

#include "base/text.h"
#include "http/http_message.h"

namespace lens {

absl::StatusOr<Json> ParseRequestObject(std::string_view body,
                                        std::initializer_list<std::string_view> allowed) {
  if (body.empty()) return BadRequest("malformed_json", "a JSON object body is required");
  auto j = ParseJson(body);
  if (!j.ok()) return BadRequest("malformed_json", "the body is not valid JSON");
  if (!j->is_object()) return BadRequest("malformed_json", "the body must be a JSON object");
  for (auto it = j->begin(); it != j->end(); ++it) {
    bool known = false;
    for (std::string_view a : allowed) known = known || a == it.key();
    if (!known)
      return ApiError(absl::StatusCode::kInvalidArgument, "unknown_field",
                      "unknown field '" + it.key() + "'", it.key());
  }
  return j;
}

absl::StatusOr<std::optional<std::string>> OptionalString(const Json& obj, std::string_view name,
                                                          const StringRule& rule) {
  auto it = obj.find(name);
  if (it == obj.end() || it->is_null()) return std::optional<std::string>();
  std::string field(name);
  if (!it->is_string())
    return ApiError(absl::StatusCode::kInvalidArgument, "invalid_type",
                    "'" + field + "' must be a string", field);
  const std::string& raw = it->get_ref<const std::string&>();
  auto len = Utf8Length(raw);
  if (!len)
    return ApiError(absl::StatusCode::kInvalidArgument, "invalid_utf8",
                    "'" + field + "' is not valid UTF-8", field);
  if (HasControlCharacters(raw, rule.allow_newlines))
    return ApiError(absl::StatusCode::kInvalidArgument, "invalid_characters",
                    "'" + field + "' contains control characters", field);
  std::string value = NormalizeNfc(raw);
  len = Utf8Length(value);
  if (*len > rule.max_chars)
    return ApiError(
        absl::StatusCode::kInvalidArgument, "too_long",
        "'" + field + "' is longer than " + std::to_string(rule.max_chars) + " characters", field);
  if (*len < rule.min_chars)
    return ApiError(
        absl::StatusCode::kInvalidArgument, "too_short",
        "'" + field + "' is shorter than " + std::to_string(rule.min_chars) + " characters", field);
  return std::optional<std::string>(std::move(value));
}

absl::StatusOr<std::string> RequiredString(const Json& obj, std::string_view name,
                                           const StringRule& rule) {
  auto v = OptionalString(obj, name, rule);
  if (!v.ok()) return v.status();
  if (!v->has_value())
    return ApiError(absl::StatusCode::kInvalidArgument, "missing_field",
                    "'" + std::string(name) + "' is required", name);
  return std::move(**v);
}

absl::StatusOr<std::optional<bool>> OptionalBool(const Json& obj, std::string_view name) {
  auto it = obj.find(name);
  if (it == obj.end() || it->is_null()) return std::optional<bool>();
  if (!it->is_boolean())
    return ApiError(absl::StatusCode::kInvalidArgument, "invalid_type",
                    "'" + std::string(name) + "' must be true or false", name);
  return std::optional<bool>(it->get<bool>());
}

}  // namespace lens
