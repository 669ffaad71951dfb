// Cursor pagination: `limit` (1..100, default 20) and an opaque `cursor`
// naming the last item of the previous page.
#ifndef LENS_QUERY_API_PAGINATION_H_
#define LENS_QUERY_API_PAGINATION_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "http/http_message.h"

namespace lens {

struct PageRequest {
  size_t limit = 20;
  std::optional<uint64_t> after;  // the cursor's position, if any
};

// 400 invalid_limit / invalid_cursor on bad parameters.
absl::StatusOr<PageRequest> ParsePageRequest(const HttpRequest& req);
std::string EncodeCursor(uint64_t position);

}  // namespace lens

#endif  // LENS_QUERY_API_PAGINATION_H_
