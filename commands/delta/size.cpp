// Size arguments such as --memory-limit 2G.
#include <cctype>
#include <cstdint>

#include "delta/delta_commands.hpp"
#include "mpaas/core/error.hpp"

namespace mpaas::delta_commands {

uint64_t parse_size(const std::string& text, const std::string& flag) {
  size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits])))
    ++digits;
  std::string unit = text.substr(digits);
  for (auto& c : unit)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  int shift = -1;
  if (unit.empty() || unit == "B")
    shift = 0;
  if (unit == "K" || unit == "KB" || unit == "KIB")
    shift = 10;
  if (unit == "M" || unit == "MB" || unit == "MIB")
    shift = 20;
  if (unit == "G" || unit == "GB" || unit == "GIB")
    shift = 30;
  if (digits == 0 || digits > 12 || shift < 0)
    throw usage_error("invalid size '" + text + "', expected e.g. 512M or 2G (" + flag + ")");
  uint64_t number = std::stoull(text.substr(0, digits));
  // A size that does not fit in 64 bits after the unit is refused, not wrapped.
  if (number > (UINT64_MAX >> shift))
    throw usage_error("size '" + text + "' is too large (" + flag + ")");
  return number << shift;
}

}  // namespace mpaas::delta_commands
