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

// The JSON text of an offered release, kept while its fingerprint holds.
struct OfferText {
  std::string id;
  std::optional<Fingerprint> fingerprint;
  std::string text;

  const std::string& of(const Release& release) {
    Fingerprint print(release);
    if (id != release.id || !fingerprint || !(*fingerprint == print)) {
      id = release.id;
      fingerprint = print;
      text = to_json(release).dump();
    }
    return text;
  }
};

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

// The fixed start of a release's entries in "decisions" and "skipped": an id's kind and
// version never change.
struct EntryStarts {
  std::string id;
  std::string decision;  // {"release":"…","kind":"…","version":"…","offered":
  std::string skipped;   // {"release":"…","reason":

  const EntryStarts& of(const Verdict& verdict) {
    if (id == verdict.release)
      return *this;
    id = verdict.release;
    decision = "{\"release\":";
    append_quoted(decision, verdict.release);
    skipped = decision + ",\"reason\":";
    decision += ",\"kind\":";
    append_quoted(decision, verdict.kind);
    decision += ",\"version\":";
    append_quoted(decision, verdict.version);
    decision += ",\"offered\":";
    return *this;
  }
};

// Texts kept by position in a check's lists. A platform lists an app's releases in the same
// order on every check, so the text kept at a position is nearly always the one wanted, and a
// comparison of ids confirms it; a hash lookup per entry had cost a tenth of a check. Kept per
// thread, one set per app (found by the check's first release), at most a few hundred apps.
struct KeptTexts {
  std::vector<EntryStarts> starts;  // by position in "decisions"
  std::vector<OfferText> offers;    // by the offer's position in "decisions"
};

KeptTexts& kept_texts(const CheckResult& result) {
  thread_local std::unordered_map<std::string, KeptTexts> kept;
  static const std::string no_release;
  const std::string& key = result.decisions.empty() ? no_release : result.decisions.front().release;
  auto found = kept.find(key);
  if (found != kept.end())
    return found->second;
  if (kept.size() >= 256)
    kept.clear();
  return kept[key];
}

template <class Slot>
Slot& slot_at(std::vector<Slot>& slots, size_t index) {
  if (index >= slots.size())
    slots.resize(index + 1);
  return slots[index];
}

// Offers, like skipped releases, are a subsequence of the decisions, in their order: the
// decision cursor only moves forward. An offer that is not there is written out.
void append_offer(std::string& out, const Release& offer, const CheckResult& result,
                  std::vector<OfferText>& texts, size_t& cursor) {
  while (cursor < result.decisions.size() && result.decisions[cursor].release != offer.id)
    ++cursor;
  if (cursor < result.decisions.size())
    out += slot_at(texts, cursor).of(offer);
  else
    out += to_json(offer).dump();
}

// A skipped entry's start: skipped releases are a subsequence of the decisions, in their
// order, so the decision cursor only moves forward; one that is not there is written out.
void append_skipped_start(std::string& out, const Skipped& skipped, const CheckResult& result,
                          const std::vector<EntryStarts>& starts, size_t& cursor) {
  while (cursor < result.decisions.size() && result.decisions[cursor].release != skipped.release)
    ++cursor;
  if (cursor < result.decisions.size()) {
    out += starts[cursor].skipped;
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
  auto& kept = kept_texts(result);
  for (size_t i = 0; i < result.decisions.size(); ++i)
    slot_at(kept.starts, i).of(result.decisions[i]);
  out += "},\"offers\":[";
  size_t offer_cursor = 0;
  for (size_t i = 0; i < result.offers.size(); ++i) {
    if (i > 0)
      out += ',';
    append_offer(out, *result.offers[i], result, kept.offers, offer_cursor);
  }
  out += "],\"skipped\":[";
  size_t cursor = 0;
  for (size_t i = 0; i < result.skipped.size(); ++i) {
    if (i > 0)
      out += ',';
    append_skipped_start(out, result.skipped[i], result, kept.starts, cursor);
    append_quoted(out, result.skipped[i].reason);
    out += '}';
  }
  out += "],\"decisions\":[";
  for (size_t i = 0; i < result.decisions.size(); ++i) {
    const auto& verdict = result.decisions[i];
    if (i > 0)
      out += ',';
    out += kept.starts[i].decision;
    out += verdict.offered ? "true,\"reason\":" : "false,\"reason\":";
    append_quoted(out, verdict.reason);
    out += '}';
  }
  out += "]}";
}

}  // namespace mpaas::platform::server
