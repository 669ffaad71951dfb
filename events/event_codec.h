// Encodes events to the JSON envelope and decodes them back, upcasting old
// schema versions of an event's data to the current one on read.
#ifndef LENS_EVENTS_EVENT_CODEC_H_
#define LENS_EVENTS_EVENT_CODEC_H_

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "events/event.h"

namespace lens {

std::string EncodeEvent(const Event& e);
Json EventToJson(const Event& e);

// InvalidArgument when `record` is not a well-formed envelope;
// FailedPrecondition when its version is newer than this build knows (a
// newer writer: refuse rather than misread). Known older versions are
// upcast to the current one.
absl::StatusOr<Event> DecodeEvent(std::string_view record);
absl::StatusOr<Event> EventFromJson(const Json& j);
absl::StatusOr<Event> EventFromJson(Json&& j);  // the same, moving the strings and data out

// The type of an envelope as EncodeEvent writes it (keys sorted, no
// spaces: it ends with ,"type":"T","v":N}), read off its tail without
// parsing. nullopt for a record in any other form (another producer's
// spacing or key order, escapes in the type): decode those.
std::optional<std::string_view> PeekEventType(std::string_view record);

}  // namespace lens

#endif  // LENS_EVENTS_EVENT_CODEC_H_
