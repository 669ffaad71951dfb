// The live-stream log of a read model: per user, what its projection
// pushed to that user's live stream (a new notification, a message, a new
// home-feed item), kept in the read model's own "stream" column family so
// that a client reconnecting with Last-Event-ID gets exactly what it
// missed.
//
//   stream  BE64(user) BE32(partition) BE64(offset) BE16(n) -> BE64(ts ms) type '\0' JSON
//
// An entry is keyed by the log position of the event that produced it (and
// its rank n among that event's entries for the user), not by when it was
// applied: positions are facts of the log, so a rebuild writes the same
// keys and a client's cursor stays valid across a rebuild. Within a
// partition, entries are in log order; a cursor is one (offset, n) per
// partition. Entries expire after the retention (a compaction filter drops
// them; readers skip them).
#ifndef LENS_READMODELS_STREAM_LOG_H_
#define LENS_READMODELS_STREAM_LOG_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "eventlog/log_position.h"
#include "store/store_slot.h"

namespace lens {

namespace stream_log {
inline constexpr char kStream[] = "stream";
// The same entries keyed by the author instead of the reader: the posts of
// celebrities (not fanned out), which each follower's stream reads from
// the authors it follows.
inline constexpr char kAuthorStream[] = "author_stream";
inline constexpr int64_t kRetentionMs = 24 * 3600 * 1000;

std::string Key(uint64_t user, uint32_t partition, uint64_t offset, uint16_t n);
std::string Value(int64_t ts_ms, std::string_view type, std::string_view json);
}  // namespace stream_log

// Where a reader is in one partition of a stream log: the next entry to
// read is (offset, n).
struct StreamCursor {
  uint64_t offset = 0;
  uint16_t n = 0;
};

struct StreamEntry {
  uint32_t partition = 0;
  uint64_t offset = 0;
  uint16_t n = 0;
  int64_t ts_ms = 0;
  std::string type;
  std::string json;
};

class StreamLogReader {
 public:
  // Reads the column family `cf` (kStream or kAuthorStream).
  explicit StreamLogReader(const StoreSlot* slot, const char* cf = stream_log::kStream)
      : slot_(slot), cf_(cf) {}
  // Up to `max` entries of `user` in `partition` from `from` on (inclusive),
  // skipping expired ones (ts < `min_ts_ms`).
  absl::StatusOr<std::vector<StreamEntry>> Read(uint64_t user, uint32_t partition,
                                                StreamCursor from, size_t max,
                                                int64_t min_ts_ms) const;

 private:
  const StoreSlot* slot_;
  const char* cf_;
};

}  // namespace lens

#endif  // LENS_READMODELS_STREAM_LOG_H_
