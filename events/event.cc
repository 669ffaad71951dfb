#include "events/event.h"

namespace lens {

std::string UserKey(UserId id) { return "user:" + id.ToString(); }

}  // namespace lens
