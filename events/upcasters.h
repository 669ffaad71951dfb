// Schema versions per event type and the upcasting hook. An upcaster turns
// version N of an event type's data into version N+1; reading an event runs
// the chain up to the current version, so projections only know the newest
// shape. Old events stay in the log untouched.
#ifndef LENS_EVENTS_UPCASTERS_H_
#define LENS_EVENTS_UPCASTERS_H_

#include <functional>
#include <string_view>

#include "absl/status/status.h"
#include "events/event.h"

namespace lens {

// Current schema version of `type` (1 for types with no history).
int CurrentVersion(std::string_view type);

// Upcasts `e` in place to CurrentVersion(e.type). FailedPrecondition when
// e.v is newer than this build knows (a newer writer: upgrade, don't
// misread); InvalidArgument when a step is missing or fails.
absl::Status UpcastToCurrent(Event& e);

}  // namespace lens

#endif  // LENS_EVENTS_UPCASTERS_H_
