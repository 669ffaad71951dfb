// How the command API answers: a command's result as an HTTP response
// (its body, the Consistency-Token of what it appended, whether an earlier
// run with the same Idempotency-Key answered), and a handler's error as
// the JSON error contract.
#ifndef LENS_COMMANDS_COMMAND_ANSWER_H_
#define LENS_COMMANDS_COMMAND_ANSWER_H_

#include "absl/status/statusor.h"
#include "base/json.h"
#include "commands/command_bus.h"
#include "http/http_message.h"

namespace lens {

// `status` 204 sends no body.
HttpResponse CommandAnswer(int status, const Json& body, const CommandResult& result);
// The response, or the error it failed with.
HttpResponse FinishCommand(const absl::StatusOr<HttpResponse>& r);

}  // namespace lens

#endif  // LENS_COMMANDS_COMMAND_ANSWER_H_
