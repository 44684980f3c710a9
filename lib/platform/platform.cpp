// Plain helpers every Platform implementation shares: name checks, times, id lists, release
// ids, and the decision for one device now (gray semantics plus the time window).
#include "mpaas/platform/platform.hpp"

#include <cstdio>
#include <ctime>
#include <random>

#include "mpaas/core/error.hpp"
#include "mpaas/core/interrupt.hpp"
#include "mpaas/core/sha256.hpp"

namespace mpaas::platform {
namespace {

bool is_app_id_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

std::string trim(const std::string& text) {
  size_t begin = text.find_first_not_of(" \t\r");
  if (begin == std::string::npos)
    return "";
  size_t end = text.find_last_not_of(" \t\r");
  return text.substr(begin, end - begin + 1);
}

bool parse_digits(const std::string& text, size_t at, size_t count, int& value) {
  if (at + count > text.size())
    return false;
  value = 0;
  for (size_t i = at; i < at + count; ++i) {
    if (text[i] < '0' || text[i] > '9')
      return false;
    value = value * 10 + (text[i] - '0');
  }
  return true;
}

}  // namespace

void check_app_id(const std::string& id) {
  bool ok = !id.empty() && id.size() <= 128 && id[0] != '.' && id[0] != '-' && id[0] != '_';
  for (char c : id)
    ok = ok && is_app_id_char(c);
  if (!ok) {
    throw usage_error("invalid app id '" + id.substr(0, 140) +
                          "': 1 to 128 letters, digits, '.', '_' or '-', starting with a letter "
                          "or digit",
                      "app");
  }
}

void check_device_id(const std::string& id, const std::string& subject) {
  bool ok = !id.empty() && id.size() <= 256;
  for (unsigned char c : id)
    ok = ok && c > 0x20 && c != 0x7f && c != ',' && c != '"';
  if (!ok) {
    throw invalid_input(
        "invalid device id '" + id.substr(0, 64) +
            "': 1 to 256 bytes without spaces, commas, quotes or control characters",
        subject);
  }
}

void check_platform_name(const std::string& name) {
  if (name != "android" && name != "ios" && name != "h5")
    throw usage_error("unknown platform '" + name.substr(0, 40) + "', expected android, ios or h5",
                      "platform");
}

void check_kind_name(const std::string& name) {
  if (name != "native" && name != "offline" && name != "hotfix")
    throw usage_error(
        "unknown kind '" + name.substr(0, 40) + "', expected native, offline or hotfix", "kind");
}

int64_t parse_time(const std::string& text, const std::string& field) {
  // YYYY-MM-DDTHH:MM:SS then Z or +HH:MM / -HH:MM; fractional seconds are not accepted.
  int year, month, day, hour, minute, second;
  auto bad = [&] {
    return usage_error(
        "invalid time '" + text.substr(0, 40) + "', expected RFC 3339 like 2025-07-01T12:00:00Z",
        field);
  };
  if (text.size() < 20 || !parse_digits(text, 0, 4, year) || text[4] != '-' ||
      !parse_digits(text, 5, 2, month) || text[7] != '-' || !parse_digits(text, 8, 2, day) ||
      (text[10] != 'T' && text[10] != 't' && text[10] != ' ') || !parse_digits(text, 11, 2, hour) ||
      text[13] != ':' || !parse_digits(text, 14, 2, minute) || text[16] != ':' ||
      !parse_digits(text, 17, 2, second))
    throw bad();
  int offset = 0;
  std::string zone = text.substr(19);
  if (zone == "Z" || zone == "z") {
    offset = 0;
  } else if (zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && zone[3] == ':') {
    int oh, om;
    if (!parse_digits(zone, 1, 2, oh) || !parse_digits(zone, 4, 2, om) || oh > 23 || om > 59)
      throw bad();
    offset = (oh * 60 + om) * 60 * (zone[0] == '-' ? -1 : 1);
  } else {
    throw bad();
  }
  static const int days_in_month[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (year < 1970 || month < 1 || month > 12 || day < 1 || day > days_in_month[month - 1] ||
      hour > 23 || minute > 59 || second > 60)
    throw bad();
  std::tm parts{};
  parts.tm_year = year - 1900;
  parts.tm_mon = month - 1;
  parts.tm_mday = day;
  parts.tm_hour = hour;
  parts.tm_min = minute;
  parts.tm_sec = second;
  return static_cast<int64_t>(timegm(&parts)) - offset;
}

std::string format_time(int64_t seconds) {
  std::time_t when = static_cast<std::time_t>(seconds);
  std::tm parts{};
  gmtime_r(&when, &parts);
  // snprintf, not strftime: strftime consults the locale, and a check formats hundreds.
  char text[40];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02dZ", parts.tm_year + 1900,
                parts.tm_mon + 1, parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec);
  return text;
}

std::vector<std::string> read_id_list(std::istream& in, const std::string& source) {
  std::vector<std::string> ids;
  std::string line;
  uint64_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    if ((number & 0xffff) == 0)
      throw_if_stop_requested();
    auto id = trim(line);
    if (id.empty() || id[0] == '#')
      continue;
    try {
      check_device_id(id, source);
    } catch (const Error& error) {
      throw invalid_input(
          std::string(error.what()) + " at line " + std::to_string(number) + " (" + source + ")",
          source);
    }
    ids.push_back(std::move(id));
  }
  return ids;
}

std::string new_release_id() {
  static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
  std::random_device random;
  uint64_t bits = (static_cast<uint64_t>(random()) << 32) | random();
  std::string id = "rel_";
  for (int i = 0; i < 12; ++i) {
    id += alphabet[bits & 31];
    bits >>= 5;
  }
  return id;
}

// ---- tokens ----

std::string scope_name(Scope scope) {
  switch (scope) {
    case Scope::read:
      return "read";
    case Scope::release:
      return "release";
    case Scope::admin:
      return "admin";
  }
  return "read";
}

Scope parse_scope(const std::string& name) {
  if (name == "read")
    return Scope::read;
  if (name == "release")
    return Scope::release;
  if (name == "admin")
    return Scope::admin;
  throw usage_error("unknown scope '" + name.substr(0, 40) + "', expected read, release or admin",
                    "scope");
}

bool scope_allows(Scope held, Scope needed) {
  return static_cast<int>(held) >= static_cast<int>(needed);
}

namespace {

// Random bytes from the kernel (getrandom through std::random_device on glibc).
std::string random_bytes(size_t count) {
  std::random_device random;
  std::string bytes;
  while (bytes.size() < count) {
    auto word = random();
    for (int i = 0; i < 4 && bytes.size() < count; ++i) {
      bytes += static_cast<char>(word & 0xff);
      word >>= 8;
    }
  }
  return bytes;
}

}  // namespace

std::string new_token_secret() {
  static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  // 256 bits as 43 base64url characters (the last carries 4 bits).
  auto bytes = random_bytes(32);
  std::string secret = "mpaas_";
  uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char byte : bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      secret += alphabet[(buffer >> bits) & 63];
    }
  }
  if (bits > 0)
    secret += alphabet[(buffer << (6 - bits)) & 63];
  return secret;
}

std::string token_secret_hash(const std::string& secret) {
  return to_hex(sha256_of(secret));
}

std::string new_token_id() {
  auto id = new_release_id();
  return "tok_" + id.substr(4);
}

bool is_release_id(const std::string& text) {
  if (text.size() != 16 || text.compare(0, 4, "rel_") != 0)
    return false;
  for (size_t i = 4; i < text.size(); ++i) {
    char c = text[i];
    if (!((c >= 'a' && c <= 'z') || (c >= '2' && c <= '7')))
      return false;
  }
  return true;
}

GateDecision decide_now(const Release& release, const std::vector<Rule>& rules, bool whitelisted,
                        bool counted, uint32_t window_free, int64_t now, const Device& device) {
  GateDecision decision;
  decide_now_into(release, rules, whitelisted, counted, window_free, now, device, decision);
  return decision;
}

void decide_now_into(const Release& release, const std::vector<Rule>& rules, bool whitelisted,
                     bool counted, uint32_t window_free, int64_t now, const Device& device,
                     GateDecision& out) {
  RolloutView view;
  view.release_id = release.id;
  view.state = release.state;
  view.percent = release.percent;
  view.rules = rules;
  view.device_whitelisted = whitelisted;
  view.min_app_version = release.min_app_version;
  view.max_app_version = release.max_app_version;
  // The decision borrows the reason's buffer and gives it back: no allocation.
  Decision decision;
  decision.reason.swap(out.reason);
  auto give = [&](bool offered, bool takes_place) {
    out.offered = offered;
    out.takes_place = takes_place;
    out.reason.swap(decision.reason);
  };
  auto say = [&](bool offered, bool takes_place, std::string reason) {
    out.offered = offered;
    out.takes_place = takes_place;
    out.reason = std::move(reason);
  };
  bool in_gray = release.state == ReleaseState::gray;
  if (!in_gray || whitelisted || (!release.window && !counted)) {
    decide_into(view, device, decision);
    return give(decision.offered, false);
  }
  // A time-window release, or a device that took a window place before the release moved to
  // the percentage mode: everything but the bucket decides first (percent 100 passes it).
  auto percent_decision = decide(view, device);
  if (percent_decision.offered && !release.window)
    return say(true, false, std::move(percent_decision.reason));
  view.percent = 10000;
  decide_into(view, device, decision);
  if (!decision.offered)
    return give(false, false);
  if (counted)
    return say(true, false, "counted in the time window");
  if (!release.window)
    return say(false, false, std::move(percent_decision.reason));
  const auto& window = *release.window;
  if (now >= window.until)
    return say(false, false, "time window closed at " + format_time(window.until));
  if (window_free == 0) {
    return say(false, false,
               "time window full (" + std::to_string(window.max_devices) + " of " +
                   std::to_string(window.max_devices) + " devices)");
  }
  return say(true, true,
             "time window place " + std::to_string(window.max_devices - window_free + 1) + " of " +
                 std::to_string(window.max_devices));
}

}  // namespace mpaas::platform
