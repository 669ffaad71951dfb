// Reading event data fields: ids as decimal strings, strings, lists. Each
// returns false when the field has the wrong type (a corrupt event); list
// fields are optional and default to empty. Internal to events/.
#ifndef LENS_EVENTS_DATA_FIELDS_H_
#define LENS_EVENTS_DATA_FIELDS_H_

#include <string>
#include <vector>

#include "base/json.h"

namespace lens::data_fields {

template <typename Id>
bool GetId(const Json& j, const char* k, Id* out) {
  auto it = j.find(k);
  if (it == j.end() || !it->is_string()) return false;
  auto id = Id::Parse(it->template get_ref<const std::string&>());
  if (!id) return false;
  *out = *id;
  return true;
}

inline bool GetString(const Json& j, const char* k, std::string* out) {
  auto it = j.find(k);
  if (it == j.end() || !it->is_string()) return false;
  *out = it->get<std::string>();
  return true;
}

inline bool GetStrings(const Json& j, const char* k, std::vector<std::string>* out) {
  auto it = j.find(k);
  if (it == j.end()) return true;
  if (!it->is_array()) return false;
  for (const Json& v : *it) {
    if (!v.is_string()) return false;
    out->push_back(v.get<std::string>());
  }
  return true;
}

template <typename Id>
bool GetIds(const Json& j, const char* k, std::vector<Id>* out) {
  auto it = j.find(k);
  if (it == j.end()) return true;
  if (!it->is_array()) return false;
  for (const Json& v : *it) {
    if (!v.is_string()) return false;
    auto id = Id::Parse(v.get_ref<const std::string&>());
    if (!id) return false;
    out->push_back(*id);
  }
  return true;
}

template <typename Id>
Json IdStrings(const std::vector<Id>& ids) {
  Json a = Json::array();
  for (const Id& id : ids) a.push_back(id.ToString());
  return a;
}

}  // namespace lens::data_fields

#endif  // LENS_EVENTS_DATA_FIELDS_H_
