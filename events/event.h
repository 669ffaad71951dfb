// The event envelope of DESIGN.md: an immutable fact, one per log record.
//
//   {"id":"7291847362816","type":"PostLiked","v":1,"key":"post:7291840000000",
//    "ts":"2026-11-20T10:15:30.123Z","actor":"7291800000000",
//    "cmd":"c0a8f6d2-...","data":{...}}
//
// `key` names the aggregate the event is about and is the partition key.
#ifndef LENS_EVENTS_EVENT_H_
#define LENS_EVENTS_EVENT_H_

#include <cstdint>
#include <string>

#include "base/json.h"
#include "base/strong_id.h"

namespace lens {

struct Event {
  EventId id;
  std::string type;
  int v = 1;          // schema version of `type`'s data
  std::string key;    // aggregate, e.g. "user:123"
  int64_t ts_ms = 0;  // when the command was decided
  std::string actor;  // user id (decimal) or "" for anonymous commands
  std::string cmd;    // id of the command that produced this event
  Json data = Json::object();
};

// Aggregate keys.
std::string UserKey(UserId id);

}  // namespace lens

#endif  // LENS_EVENTS_EVENT_H_
