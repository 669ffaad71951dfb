// JsonWriter: compact JSON written straight into a string, for the hot
// responses (a feed page is 20 posts) where building an nlohmann::json
// tree first costs an allocation per field. It writes what DumpJson would
// for the same values: no whitespace, strings escaped the same way, and
// invalid UTF-8 replaced by U+FFFD. The caller writes object keys in
// sorted order when it wants DumpJson's key order (nlohmann sorts them).
//
// Not thread-safe; one writer per response.
#ifndef LENS_BASE_JSON_WRITER_H_
#define LENS_BASE_JSON_WRITER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace lens {

class JsonWriter {
 public:
  explicit JsonWriter(std::string* out) : out_(out) {}

  void BeginObject() { Open('{'); }
  void EndObject() { Close('}'); }
  void BeginArray() { Open('['); }
  void EndArray() { Close(']'); }
  // The next value's key; only inside an object.
  void Key(std::string_view key);

  void String(std::string_view s);
  void Int(int64_t v);
  void Bool(bool v);
  void Null();
  void StringArray(const std::vector<std::string>& items);

  // Appends `s` as a JSON string literal (quotes included) to `out`.
  static void AppendQuoted(std::string_view s, std::string* out);

 private:
  void Open(char c);
  void Close(char c);
  void BeforeValue();

  std::string* out_;
  // Per open container: whether a value was written in it yet.
  std::vector<bool> has_value_;
  bool after_key_ = false;
};

}  // namespace lens

#endif  // LENS_BASE_JSON_WRITER_H_
