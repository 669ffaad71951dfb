#include "commands/command_answer.h"

namespace lens {

HttpResponse CommandAnswer(int status, const Json& body, const CommandResult& result) {
  HttpResponse res = status == 204 ? HttpResponse{} : HttpResponse::JsonBody(status, body);
  res.status = status;
  if (!result.token.empty()) res.headers.emplace_back("Consistency-Token", result.token.ToString());
  if (result.replayed) res.headers.emplace_back("Idempotent-Replayed", "true");
  return res;
}

HttpResponse FinishCommand(const absl::StatusOr<HttpResponse>& r) {
  return r.ok() ? *r : HttpResponse::FromStatus(r.status());
}

}  // namespace lens
