#include "http/http_message.h"

namespace lens {
namespace {

constexpr char kCodePayload[] = "lens/error_code";
constexpr char kFieldPayload[] = "lens/field";
constexpr char kHttpStatusPayload[] = "lens/http_status";

std::string DefaultCode(absl::StatusCode c) {
  switch (c) {
    case absl::StatusCode::kInvalidArgument:
      return "invalid_argument";
    case absl::StatusCode::kOutOfRange:
      return "out_of_range";
    case absl::StatusCode::kUnauthenticated:
      return "unauthenticated";
    case absl::StatusCode::kPermissionDenied:
      return "forbidden";
    case absl::StatusCode::kNotFound:
      return "not_found";
    case absl::StatusCode::kAlreadyExists:
      return "conflict";
    case absl::StatusCode::kAborted:
      return "conflict";
    case absl::StatusCode::kFailedPrecondition:
      return "conflict";
    case absl::StatusCode::kResourceExhausted:
      return "rate_limited";
    case absl::StatusCode::kUnavailable:
      return "unavailable";
    case absl::StatusCode::kDeadlineExceeded:
      return "timeout";
    default:
      return "internal";
  }
}

int DefaultHttpStatus(absl::StatusCode c) {
  switch (c) {
    case absl::StatusCode::kInvalidArgument:
      return 422;
    case absl::StatusCode::kOutOfRange:
      return 422;
    case absl::StatusCode::kUnauthenticated:
      return 401;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kFailedPrecondition:
      return 409;
    case absl::StatusCode::kResourceExhausted:
      return 429;
    case absl::StatusCode::kUnavailable:
      return 503;
    case absl::StatusCode::kDeadlineExceeded:
      return 504;
    default:
      return 500;
  }
}

}  // namespace

std::optional<std::string_view> HttpRequest::Header(std::string_view lower_name) const {
  for (const auto& [k, v] : headers)
    if (k == lower_name) return std::string_view(v);
  return std::nullopt;
}

std::optional<std::string_view> HttpRequest::Query(std::string_view name) const {
  for (const auto& [k, v] : query)
    if (k == name) return std::string_view(v);
  return std::nullopt;
}

HttpResponse HttpResponse::JsonBody(int status, const Json& body) {
  HttpResponse r;
  r.status = status;
  r.body = DumpJson(body);
  return r;
}

HttpResponse HttpResponse::Text(int status, std::string body, std::string content_type) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.content_type = std::move(content_type);
  return r;
}

HttpResponse HttpResponse::Error(int status, std::string_view code, std::string_view message,
                                 std::string_view field) {
  Json err{{"code", std::string(code)}, {"message", std::string(message)}};
  if (!field.empty()) err["field"] = std::string(field);
  return JsonBody(status, Json{{"error", err}});
}

HttpResponse HttpResponse::FromStatus(const absl::Status& status) {
  int http = DefaultHttpStatus(status.code());
  std::string code = DefaultCode(status.code());
  std::string field;
  if (auto p = status.GetPayload(kCodePayload)) code = std::string(*p);
  if (auto p = status.GetPayload(kFieldPayload)) field = std::string(*p);
  if (auto p = status.GetPayload(kHttpStatusPayload)) http = std::stoi(std::string(*p));
  std::string message(status.message());
  if (http == 500) message = "internal error";  // details go to the log, not the client
  return Error(http, code, message, field);
}

absl::Status ApiError(absl::StatusCode code, std::string_view error_code, std::string_view message,
                      std::string_view field) {
  absl::Status s(code, std::string(message));
  s.SetPayload(kCodePayload, absl::Cord(std::string(error_code)));
  if (!field.empty()) s.SetPayload(kFieldPayload, absl::Cord(std::string(field)));
  return s;
}

absl::Status BadRequest(std::string_view error_code, std::string_view message,
                        std::string_view field) {
  absl::Status s = ApiError(absl::StatusCode::kInvalidArgument, error_code, message, field);
  s.SetPayload(kHttpStatusPayload, absl::Cord("400"));
  return s;
}

}  // namespace lens
