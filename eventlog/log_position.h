// Positions in the event log, and the consistency token built from them.
#ifndef LENS_EVENTLOG_LOG_POSITION_H_
#define LENS_EVENTLOG_LOG_POSITION_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace lens {

// The place of one record: partition and offset within it. Offsets start at
// 0 and grow by one per record in a partition.
struct LogPosition {
  uint32_t partition = 0;
  uint64_t offset = 0;
  friend bool operator==(const LogPosition&, const LogPosition&) = default;
};

// "Everything up to these positions": for each partition, the offset of the
// last record a write appended there. A read model has caught up with the
// token once it has applied every listed offset. Text form: "p:o,p:o".
class ConsistencyToken {
 public:
  ConsistencyToken() = default;

  void Add(const LogPosition& pos);  // keeps the max per partition
  void Merge(const ConsistencyToken& other);
  bool empty() const { return last_offsets_.empty(); }
  const std::map<uint32_t, uint64_t>& last_offsets() const { return last_offsets_; }

  std::string ToString() const;
  // nullopt for malformed text (at most 1024 partitions, decimal numbers).
  static std::optional<ConsistencyToken> Parse(std::string_view text);

 private:
  std::map<uint32_t, uint64_t> last_offsets_;
};

}  // namespace lens

#endif  // LENS_EVENTLOG_LOG_POSITION_H_
