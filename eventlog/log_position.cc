#include "eventlog/log_position.h"

#include <charconv>

namespace lens {

void ConsistencyToken::Add(const LogPosition& pos) {
  auto [it, inserted] = last_offsets_.emplace(pos.partition, pos.offset);
  if (!inserted && it->second < pos.offset) it->second = pos.offset;
}

void ConsistencyToken::Merge(const ConsistencyToken& other) {
  for (const auto& [p, o] : other.last_offsets_) Add({p, o});
}

std::string ConsistencyToken::ToString() const {
  std::string out;
  for (const auto& [p, o] : last_offsets_) {
    if (!out.empty()) out.push_back(',');
    out += std::to_string(p) + ":" + std::to_string(o);
  }
  return out;
}

std::optional<ConsistencyToken> ConsistencyToken::Parse(std::string_view text) {
  if (text.empty() || text.size() > 32 * 1024) return std::nullopt;
  ConsistencyToken t;
  const char* cur = text.data();
  const char* end = text.data() + text.size();
  while (cur < end) {
    uint32_t p = 0;
    uint64_t o = 0;
    auto r1 = std::from_chars(cur, end, p);
    if (r1.ec != std::errc() || r1.ptr == cur || r1.ptr == end || *r1.ptr != ':' || p >= 1024)
      return std::nullopt;
    cur = r1.ptr + 1;
    auto r2 = std::from_chars(cur, end, o);
    if (r2.ec != std::errc() || r2.ptr == cur) return std::nullopt;
    cur = r2.ptr;
    t.Add({p, o});
    if (cur == end) break;
    if (*cur != ',' || cur + 1 == end) return std::nullopt;
    ++cur;
  }
  return t;
}

}  // namespace lens
