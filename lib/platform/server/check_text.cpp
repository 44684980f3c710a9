// Check results as JSON text from cached release texts (see check_text.hpp).
#include "mpaas/platform/server.hpp"

#include <unordered_map>

namespace mpaas::platform::server {
namespace {

// What can change in a release after it is made; the rest is fixed for its id, so a text
// kept under the same fingerprint is the text to_json would give now.
std::string fingerprint(const Release& release) {
  std::string key = std::to_string(release.updated_at) + '/' +
                    std::to_string(static_cast<int>(release.state)) + '/' +
                    std::to_string(release.percent) + '/' + std::to_string(release.whitelist);
  if (release.window) {
    key += '/' + std::to_string(release.window->max_devices) + '/' +
           std::to_string(release.window->until) + '/' + std::to_string(release.window->counted);
  }
  return key;
}

const std::string& release_text(const Release& release) {
  struct Kept {
    std::string fingerprint;
    std::string text;
  };
  thread_local std::unordered_map<std::string, Kept> kept;
  if (kept.size() > 10000)
    kept.clear();
  auto print = fingerprint(release);
  auto& entry = kept[release.id];
  if (entry.text.empty() || entry.fingerprint != print) {
    entry.fingerprint = std::move(print);
    entry.text = to_json(release).dump();
  }
  return entry.text;
}

// A JSON string as nlohmann writes it; plain printable ASCII needs no escaping.
void append_quoted(std::string& out, const std::string& text) {
  bool plain = true;
  for (unsigned char c : text) {
    if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') {
      plain = false;
      break;
    }
  }
  if (!plain) {
    out += Json(text).dump();
    return;
  }
  out += '"';
  out += text;
  out += '"';
}

}  // namespace

std::string check_response_text(const CheckResult& result) {
  std::string out = "{\"device\":" + to_json(result.device).dump() + ",\"offers\":[";
  for (size_t i = 0; i < result.offers.size(); ++i) {
    if (i > 0)
      out += ',';
    out += release_text(result.offers[i]);
  }
  out += "],\"skipped\":[";
  for (size_t i = 0; i < result.skipped.size(); ++i) {
    out += i > 0 ? ",{\"release\":" : "{\"release\":";
    append_quoted(out, result.skipped[i].release);
    out += ",\"reason\":";
    append_quoted(out, result.skipped[i].reason);
    out += '}';
  }
  out += "],\"decisions\":[";
  for (size_t i = 0; i < result.decisions.size(); ++i) {
    const auto& verdict = result.decisions[i];
    out += i > 0 ? ",{\"release\":" : "{\"release\":";
    append_quoted(out, verdict.release);
    out += ",\"kind\":";
    append_quoted(out, verdict.kind);
    out += ",\"version\":";
    append_quoted(out, verdict.version);
    out += verdict.offered ? ",\"offered\":true,\"reason\":" : ",\"offered\":false,\"reason\":";
    append_quoted(out, verdict.reason);
    out += '}';
  }
  out += "]}";
  return out;
}

}  // namespace mpaas::platform::server
