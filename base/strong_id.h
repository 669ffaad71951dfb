// Strong types for 64-bit identifiers so that a user id cannot be passed
// where a post id is expected. Ids travel in JSON as decimal strings.
#ifndef LENS_BASE_STRONG_ID_H_
#define LENS_BASE_STRONG_ID_H_

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lens {

template <typename Tag>
class StrongId {
 public:
  constexpr StrongId() = default;
  constexpr explicit StrongId(uint64_t v) : value_(v) {}

  constexpr uint64_t value() const { return value_; }
  constexpr bool valid() const { return value_ != 0; }
  std::string ToString() const { return std::to_string(value_); }

  // Parses a decimal id; rejects empty, signs, spaces, leading zeros and 0.
  static std::optional<StrongId> Parse(std::string_view s) {
    if (s.empty() || s.size() > 20 || s[0] == '0') return std::nullopt;
    for (char c : s)
      if (c < '0' || c > '9') return std::nullopt;
    uint64_t v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size() || v == 0) return std::nullopt;
    return StrongId(v);
  }

  friend constexpr bool operator==(StrongId a, StrongId b) = default;
  friend constexpr auto operator<=>(StrongId a, StrongId b) = default;
  template <typename H>
  friend H AbslHashValue(H h, StrongId id) {
    return H::combine(std::move(h), id.value_);
  }

 private:
  uint64_t value_ = 0;
};

struct UserIdTag {};
struct SessionIdTag {};
struct EventIdTag {};
struct PostIdTag {};
struct CommentIdTag {};
struct ConversationIdTag {};
struct MessageIdTag {};
using UserId = StrongId<UserIdTag>;
using SessionId = StrongId<SessionIdTag>;
using EventId = StrongId<EventIdTag>;
using PostId = StrongId<PostIdTag>;
using CommentId = StrongId<CommentIdTag>;
using ConversationId = StrongId<ConversationIdTag>;
using MessageId = StrongId<MessageIdTag>;

}  // namespace lens

#endif  // LENS_BASE_STRONG_ID_H_
