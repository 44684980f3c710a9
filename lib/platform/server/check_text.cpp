// Check results as JSON text from cached release texts (see check_text.hpp).
#include "mpaas/platform/server.hpp"

#include <array>
#include <unordered_map>

namespace mpaas::platform::server {
namespace {

// What can change in a release after it is made; the rest is fixed for its id, so a text
// kept under the same fingerprint is the text to_json would give now.
struct Fingerprint {
  int64_t updated_at = 0;
  ReleaseState state = ReleaseState::draft;
  BasisPoints percent = 0;
  uint64_t whitelist = 0;
  std::optional<TimeWindow> window;

  explicit Fingerprint(const Release& release)
      : updated_at(release.updated_at),
        state(release.state),
        percent(release.percent),
        whitelist(release.whitelist),
        window(release.window) {}

  bool operator==(const Fingerprint& other) const {
    auto same_window = [](const std::optional<TimeWindow>& a, const std::optional<TimeWindow>& b) {
      if (!a || !b)
        return !a && !b;
      return a->max_devices == b->max_devices && a->until == b->until && a->counted == b->counted;
    };
    return updated_at == other.updated_at && state == other.state && percent == other.percent &&
           whitelist == other.whitelist && same_window(window, other.window);
  }
};

const std::string& release_text(const Release& release) {
  struct Kept {
    Fingerprint fingerprint;
    std::string text;
  };
  thread_local std::unordered_map<std::string, Kept> kept;
  if (kept.size() > 10000)
    kept.clear();
  Fingerprint print(release);
  auto found = kept.find(release.id);
  if (found == kept.end())
    found = kept.emplace(release.id, Kept{print, to_json(release).dump()}).first;
  else if (!(found->second.fingerprint == print))
    found->second = Kept{print, to_json(release).dump()};
  return found->second.text;
}

// Bytes that a JSON string may hold as they are: printable ASCII but '"' and '\\'.
constexpr auto plain_bytes = [] {
  std::array<bool, 256> plain{};
  for (int c = 0x20; c < 0x7f; ++c)
    plain[static_cast<size_t>(c)] = c != '"' && c != '\\';
  return plain;
}();

// A JSON string as nlohmann writes it; plain printable ASCII (all of a check's own text)
// is copied as it is.
void append_quoted(std::string& out, const std::string& text) {
  for (unsigned char c : text) {
    if (!plain_bytes[c]) {
      out += Json(text).dump();
      return;
    }
  }
  out += '"';
  out += text;
  out += '"';
}

// The fixed start of a release's entries in "decisions" and "skipped", by release id: an
// id's kind and version never change, and a check lists every release of the app.
struct EntryStarts {
  std::string decision;  // {"release":"…","kind":"…","version":"…","offered":
  std::string skipped;   // {"release":"…","reason":
};

std::unordered_map<std::string, EntryStarts>& kept_starts() {
  thread_local std::unordered_map<std::string, EntryStarts> kept;
  return kept;
}

const EntryStarts& decision_starts(const Verdict& verdict) {
  auto& kept = kept_starts();
  auto found = kept.find(verdict.release);
  if (found != kept.end())
    return found->second;
  if (kept.size() > 10000)
    kept.clear();
  EntryStarts starts;
  starts.decision = "{\"release\":";
  append_quoted(starts.decision, verdict.release);
  starts.skipped = starts.decision + ",\"reason\":";
  starts.decision += ",\"kind\":";
  append_quoted(starts.decision, verdict.kind);
  starts.decision += ",\"version\":";
  append_quoted(starts.decision, verdict.version);
  starts.decision += ",\"offered\":";
  return kept.emplace(verdict.release, std::move(starts)).first->second;
}

// A skipped entry's start, from the starts its decision made (on an earlier check: "skipped"
// comes first), or written out.
void append_skipped_start(std::string& out, const Skipped& skipped) {
  auto& kept = kept_starts();
  auto found = kept.find(skipped.release);
  if (found != kept.end()) {
    out += found->second.skipped;
    return;
  }
  out += "{\"release\":";
  append_quoted(out, skipped.release);
  out += ",\"reason\":";
}

}  // namespace

std::string check_response_text(const CheckResult& result) {
  std::string out;
  write_check_response_text(result, out);
  return out;
}

void write_check_response_text(const CheckResult& result, std::string& out) {
  // The device as to_json(Device) writes it, without building a JSON object per check.
  const auto& device = result.device;
  out += "{\"device\":{\"id\":";
  append_quoted(out, device.id);
  for (auto [key, value] :
       {std::pair{",\"app_version\":", &device.app_version},
        std::pair{",\"os_version\":", &device.os_version}, std::pair{",\"model\":", &device.model},
        std::pair{",\"region\":", &device.region}, std::pair{",\"network\":", &device.network}}) {
    out += key;
    if (value->empty())
      out += "null";
    else
      append_quoted(out, *value);
  }
  out += "},\"offers\":[";
  for (size_t i = 0; i < result.offers.size(); ++i) {
    if (i > 0)
      out += ',';
    out += release_text(*result.offers[i]);
  }
  out += "],\"skipped\":[";
  for (size_t i = 0; i < result.skipped.size(); ++i) {
    if (i > 0)
      out += ',';
    append_skipped_start(out, result.skipped[i]);
    append_quoted(out, result.skipped[i].reason);
    out += '}';
  }
  out += "],\"decisions\":[";
  for (size_t i = 0; i < result.decisions.size(); ++i) {
    const auto& verdict = result.decisions[i];
    if (i > 0)
      out += ',';
    out += decision_starts(verdict).decision;
    out += verdict.offered ? "true,\"reason\":" : "false,\"reason\":";
    append_quoted(out, verdict.reason);
    out += '}';
  }
  out += "]}";
}

}  // namespace mpaas::platform::server
