// HttpRequest and HttpResponse: the plain structs handlers see, so that no
// handler needs Beast's headers. The JSON error contract of DESIGN.md:
//   {"error":{"code":"...","message":"...","field":"..."}}
#ifndef LENS_HTTP_HTTP_MESSAGE_H_
#define LENS_HTTP_HTTP_MESSAGE_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "base/json.h"

namespace lens {

struct HttpRequest {
  std::string method;                                        // upper-case, e.g. "GET"
  std::string target;                                        // as received, e.g. "/api/v1/x?y=1"
  std::string path;                                          // percent-decoded path, no query
  std::vector<std::pair<std::string, std::string>> query;    // decoded, in order
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-case
  std::string body;
  std::string request_id;                // X-Request-Id or generated
  std::vector<std::string> path_params;  // the {params} the route matched
  std::string route;                     // the matched pattern ("" if none)

  std::optional<std::string_view> Header(std::string_view lower_name) const;
  std::optional<std::string_view> Query(std::string_view name) const;
};

class EventStream;  // http/event_stream.h

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // Set (with status 200): the answer is a live stream instead of `body`
  // (server-sent events, or WebSocket frames when the request asked for
  // the WebSocket upgrade). See http/event_stream.h.
  std::shared_ptr<EventStream> stream;

  static HttpResponse JsonBody(int status, const Json& body);
  static HttpResponse Text(int status, std::string body,
                           std::string content_type = "text/plain; charset=utf-8");
  // A JSON error; `field` names the offending input field, if any.
  static HttpResponse Error(int status, std::string_view code, std::string_view message,
                            std::string_view field = "");
  // Maps a Status to its HTTP error (InvalidArgument→422 unless the payload
  // says 400, Unauthenticated→401, PermissionDenied→403, NotFound→404,
  // AlreadyExists/Aborted→409, ResourceExhausted→429 (or 413),
  // FailedPrecondition→409, Unavailable→503, DeadlineExceeded→504, else 500).
  static HttpResponse FromStatus(const absl::Status& status);
};

// Builds a Status that FromStatus renders with `code` and `field`:
// ApiError(absl::StatusCode::kInvalidArgument, "username_taken", "...", "username").
absl::Status ApiError(absl::StatusCode code, std::string_view error_code, std::string_view message,
                      std::string_view field = "");
// 400 rather than 422 for InvalidArgument: the request itself is malformed
// (bad JSON, bad cursor), not its content.
absl::Status BadRequest(std::string_view error_code, std::string_view message,
                        std::string_view field = "");

}  // namespace lens

#endif  // LENS_HTTP_HTTP_MESSAGE_H_
