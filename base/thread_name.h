// SetCurrentThreadName: names the calling thread for top -H, perf and gdb
// ("lens-writer", "proj-social", ...). Linux keeps 15 bytes; longer names
// are cut.
#ifndef LENS_BASE_THREAD_NAME_H_
#define LENS_BASE_THREAD_NAME_H_

#include <string_view>

namespace lens {

void SetCurrentThreadName(std::string_view name);

}  // namespace lens

#endif  // LENS_BASE_THREAD_NAME_H_
