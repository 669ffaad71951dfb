// Lower-case hex encoding of bytes (keys in headers and files).
#ifndef LENS_BASE_HEX_H_
#define LENS_BASE_HEX_H_

#include <string>
#include <string_view>

namespace lens {

inline std::string HexEncode(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

}  // namespace lens

#endif  // LENS_BASE_HEX_H_
