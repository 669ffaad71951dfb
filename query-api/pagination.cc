#include "query-api/pagination.h"

#include <charconv>

#include "auth/token_signer.h"

namespace lens {
namespace {
constexpr std::string_view kCursorPrefix = "c1:";
}

std::string EncodeCursor(uint64_t position) {
  return Base64UrlEncode(std::string(kCursorPrefix) + std::to_string(position));
}

absl::StatusOr<PageRequest> ParsePageRequest(const HttpRequest& req) {
  PageRequest page;
  if (auto limit = req.Query("limit")) {
    size_t n = 0;
    auto [end, ec] = std::from_chars(limit->data(), limit->data() + limit->size(), n);
    if (ec != std::errc() || end != limit->data() + limit->size() || n < 1 || n > 100)
      return BadRequest("invalid_limit", "limit must be a number from 1 to 100", "limit");
    page.limit = n;
  }
  if (auto cursor = req.Query("cursor")) {
    std::string raw;
    auto bad = BadRequest("invalid_cursor", "malformed cursor", "cursor");
    if (cursor->empty() || cursor->size() > 64 || !Base64UrlDecode(*cursor, &raw) ||
        raw.substr(0, kCursorPrefix.size()) != kCursorPrefix)
      return bad;
    std::string_view digits = std::string_view(raw).substr(kCursorPrefix.size());
    uint64_t v = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size()) return bad;
    page.after = v;
  }
  return page;
}

}  // namespace lens
