// The platform's results read back from JSON (see from_json.hpp). Every accessor checks the
// type before reading, so a hostile reply can only end in a failure naming its field.
#include "mpaas/platform/from_json.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace mpaas::platform {
namespace {

// A server's message is shown to a user on one line; a longer one is cut.
constexpr size_t max_message_length = 1000;

// A field or element path for messages: "release.window.until", "offers[2].id".
std::string joined(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

std::string element(const std::string& path, size_t index) {
  return path + "[" + std::to_string(index) + "]";
}

[[noreturn]] void refuse(const std::string& path, const std::string& what) {
  throw failure("malformed server reply: " + what + " at " + path, path);
}

// One JSON object being read, with the path of its fields for messages.
class Fields {
 public:
  Fields(const Json& json, std::string path) : m_json(json), m_path(std::move(path)) {
    if (!m_json.is_object())
      refuse(m_path, "expected an object");
  }

  const Json& at(const std::string& key) const {
    auto found = m_json.find(key);
    if (found == m_json.end())
      refuse(path(key), "missing field");
    return *found;
  }
  std::string path(const std::string& key) const { return joined(m_path, key); }
  bool is_null(const std::string& key) const { return at(key).is_null(); }

  std::string text(const std::string& key) const {
    const Json& value = at(key);
    if (!value.is_string())
      refuse(path(key), "expected a string");
    return value.get<std::string>();
  }
  // null reads as empty, as to_json writes an empty text as null.
  std::string text_or_empty(const std::string& key) const {
    return is_null(key) ? std::string() : text(key);
  }
  bool boolean(const std::string& key) const {
    const Json& value = at(key);
    if (!value.is_boolean())
      refuse(path(key), "expected true or false");
    return value.get<bool>();
  }
  uint64_t count(const std::string& key) const {
    const Json& value = at(key);
    if (value.is_number_unsigned())
      return value.get<uint64_t>();
    if (value.is_number_integer() && value.get<int64_t>() >= 0)
      return static_cast<uint64_t>(value.get<int64_t>());
    refuse(path(key), "expected a whole number of at least 0");
  }
  uint32_t count32(const std::string& key) const {
    uint64_t value = count(key);
    if (value > std::numeric_limits<uint32_t>::max())
      refuse(path(key), "number too large");
    return static_cast<uint32_t>(value);
  }
  int64_t time(const std::string& key) const {
    std::string value = text(key);
    try {
      return parse_time(value, path(key));
    } catch (const Error&) {
      refuse(path(key), "expected an RFC 3339 time");
    }
  }
  // null reads as 0 ("never"), as to_json writes 0 as null.
  int64_t time_or_zero(const std::string& key) const { return is_null(key) ? 0 : time(key); }
  BasisPoints percent(const std::string& key) const {
    const Json& value = at(key);
    if (!value.is_number())
      refuse(path(key), "expected a percentage");
    double hundredths = value.get<double>() * 100.0;
    double rounded = std::round(hundredths);
    if (!(rounded >= 0 && rounded <= 10000) || std::fabs(hundredths - rounded) > 1e-6)
      refuse(path(key), "expected a percentage from 0 to 100 in 0.01 steps");
    return static_cast<BasisPoints>(rounded);
  }
  const Json& array(const std::string& key) const {
    const Json& value = at(key);
    if (!value.is_array())
      refuse(path(key), "expected an array");
    return value;
  }
  double number(const std::string& key) const {
    const Json& value = at(key);
    if (!value.is_number() || !std::isfinite(value.get<double>()))
      refuse(path(key), "expected a number");
    return value.get<double>();
  }
  std::optional<double> number_or_null(const std::string& key) const {
    if (is_null(key))
      return std::nullopt;
    return number(key);
  }
  std::vector<std::string> texts(const std::string& key) const {
    const Json& values = array(key);
    std::vector<std::string> out;
    out.reserve(values.size());
    for (size_t i = 0; i < values.size(); ++i) {
      if (!values[i].is_string())
        refuse(element(path(key), i), "expected a string");
      out.push_back(values[i].get<std::string>());
    }
    return out;
  }

 private:
  const Json& m_json;
  std::string m_path;
};

template <class Reader>
auto each_of(const Json& json, const std::string& path, Reader read) {
  if (!json.is_array())
    refuse(path, "expected an array");
  std::vector<decltype(read(json, path))> out;
  out.reserve(json.size());
  for (size_t i = 0; i < json.size(); ++i)
    out.push_back(read(json[i], element(path, i)));
  return out;
}

App read_app(const Json& json, const std::string& path) {
  Fields fields(json, path);
  App app;
  app.id = fields.text("id");
  app.name = fields.text("name");
  app.releases = fields.count("releases");
  app.created_at = fields.time("created_at");
  return app;
}

ReleaseState read_state(const Fields& fields, const std::string& key) {
  std::string name = fields.text(key);
  try {
    return parse_state(name);
  } catch (const Error&) {
    refuse(fields.path(key), "unknown release state");
  }
}

std::optional<TimeWindow> read_window(const Fields& fields) {
  if (fields.is_null("window"))
    return std::nullopt;
  Fields window(fields.at("window"), fields.path("window"));
  TimeWindow out;
  out.max_devices = window.count32("max_devices");
  out.until = window.time("until");
  out.counted = window.count32("counted");
  return out;
}

Release read_release(const Json& json, const std::string& path) {
  Fields fields(json, path);
  Release release;
  release.id = fields.text("id");
  release.app = fields.text("app");
  release.platform = fields.text("platform");
  release.kind = fields.text("kind");
  release.package = fields.text_or_empty("package");
  release.version = fields.text("version");
  release.state = read_state(fields, "state");
  release.percent = fields.percent("percent");
  release.window = read_window(fields);
  release.whitelist = fields.count("whitelist");
  release.rules = fields.texts("rules");
  release.min_app_version = fields.text_or_empty("min_app_version");
  release.max_app_version = fields.text_or_empty("max_app_version");
  release.mandatory = fields.boolean("mandatory");
  release.notes = fields.text_or_empty("notes");
  release.file_name = fields.text("file_name");
  release.size = fields.count("size");
  release.sha256 = fields.text("sha256");
  release.created_at = fields.time("created_at");
  release.updated_at = fields.time("updated_at");
  release.created_by = fields.text("created_by");
  return release;
}

ReleaseChange read_change(const Json& json, const std::string& path) {
  Fields fields(json, path);
  ReleaseChange change;
  change.seq = fields.count("seq");
  change.release = fields.text("release");
  change.what = fields.text("what");
  change.old_value = fields.text_or_empty("old");
  change.new_value = fields.text_or_empty("new");
  change.at = fields.time("at");
  change.by = fields.text("by");
  return change;
}

Device read_device(const Json& json, const std::string& path) {
  Fields fields(json, path);
  Device device;
  device.id = fields.text("id");
  device.app_version = fields.text_or_empty("app_version");
  device.os_version = fields.text_or_empty("os_version");
  device.model = fields.text_or_empty("model");
  device.region = fields.text_or_empty("region");
  device.network = fields.text_or_empty("network");
  return device;
}

Skipped read_skipped(const Json& json, const std::string& path) {
  Fields fields(json, path);
  return Skipped{fields.text("release"), fields.text("reason")};
}

Verdict read_verdict(const Json& json, const std::string& path) {
  Fields fields(json, path);
  Verdict verdict;
  verdict.release = fields.text("release");
  verdict.kind = fields.text("kind");
  verdict.version = fields.text("version");
  verdict.offered = fields.boolean("offered");
  verdict.reason = fields.text("reason");
  return verdict;
}

Scope read_scope(const Fields& fields) {
  std::string name = fields.text("scope");
  try {
    return parse_scope(name);
  } catch (const Error&) {
    refuse(fields.path("scope"), "unknown scope");
  }
}

Token read_token(const Json& json, const std::string& path) {
  Fields fields(json, path);
  Token token;
  token.id = fields.text("id");
  token.name = fields.text("name");
  token.scope = read_scope(fields);
  token.created_at = fields.time("created_at");
  token.expires_at = fields.time_or_zero("expires_at");
  token.revoked_at = fields.time_or_zero("revoked_at");
  token.last_used_at = fields.time_or_zero("last_used_at");
  // A text in create_token's reply only; null in every other form of a token.
  token.secret = fields.text_or_empty("secret");
  return token;
}

std::unordered_set<std::string> id_set(const Fields& fields, const std::string& key) {
  auto ids = fields.texts(key);
  return std::unordered_set<std::string>(std::make_move_iterator(ids.begin()),
                                         std::make_move_iterator(ids.end()));
}

// A field parsed by one of the analytics parsers (which throw usage errors): a refusal of
// the reply naming the field instead.
template <class Parse>
auto parsed_field(const Fields& fields, const std::string& key, Parse parse) {
  std::string text = fields.text(key);
  try {
    return parse(text);
  } catch (const Error&) {
    refuse(fields.path(key), "unexpected value");
  }
}

std::optional<double> nullable_number(const Json& value, const std::string& path) {
  if (value.is_null())
    return std::nullopt;
  if (!value.is_number() || !std::isfinite(value.get<double>()))
    refuse(path, "expected a number or null");
  return value.get<double>();
}

std::vector<std::optional<double>> nullable_numbers(const Fields& fields, const std::string& key) {
  const Json& values = fields.array(key);
  std::vector<std::optional<double>> out;
  out.reserve(values.size());
  for (size_t i = 0; i < values.size(); ++i)
    out.push_back(nullable_number(values[i], element(fields.path(key), i)));
  return out;
}

std::vector<uint64_t> counts(const Fields& fields, const std::string& key) {
  const Json& values = fields.array(key);
  std::vector<uint64_t> out;
  out.reserve(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    if (!values[i].is_number_unsigned())
      refuse(element(fields.path(key), i), "expected a whole number of at least 0");
    out.push_back(values[i].get<uint64_t>());
  }
  return out;
}

analytics::Rejection read_rejection(const Json& json, const std::string& path) {
  Fields fields(json, path);
  return analytics::Rejection{fields.text("file"), fields.count("line"), fields.text("reason")};
}

analytics::QueryRequest read_query_request(const Fields& fields) {
  using namespace analytics;
  QueryRequest request;
  request.app = fields.text("app");
  request.metric = parsed_field(fields, "metric", parse_metric);
  if (request.metric == Metric::event)
    request.event = fields.text("event");
  if (request.metric == Metric::funnel) {
    request.steps = fields.texts("steps");
    request.window_ms = parsed_field(fields, "window", parse_window);
  }
  request.from_day = parsed_field(fields, "from",
                                  [](const std::string& text) { return parse_date(text, "from"); });
  request.to_day =
      parsed_field(fields, "to", [](const std::string& text) { return parse_date(text, "to"); });
  request.interval = parsed_field(fields, "interval", parse_interval);
  request.tz = fields.text("tz");
  if (!fields.is_null("group_by")) {
    request.group_by = parsed_field(fields, "group_by", [](const std::string& text) {
      auto dimension = parse_dimension(text);
      if (!dimension)
        throw usage_error("unknown dimension");
      return *dimension;
    });
  }
  const Json& where = fields.at("where");
  if (!where.is_object())
    refuse(fields.path("where"), "expected an object");
  Fields filters(where, fields.path("where"));
  for (const auto& item : where.items())
    request.where.push_back(Where{item.key(), filters.texts(item.key())});
  return request;
}

analytics::Series read_series(const Json& json, const std::string& path, bool with_devices) {
  Fields fields(json, path);
  analytics::Series series;
  if (!fields.is_null("group"))
    series.group = fields.text("group");
  series.values = nullable_numbers(fields, "values");
  if (with_devices) {
    series.devices = counts(fields, "devices");
    if (series.devices.size() != series.values.size())
      refuse(fields.path("devices"), "expected one count per value");
  }
  return series;
}

analytics::Cohort read_cohort(const Json& json, const std::string& path) {
  Fields fields(json, path);
  analytics::Cohort cohort;
  cohort.period = fields.text("cohort");
  cohort.devices = fields.count("devices");
  cohort.retained = nullable_numbers(fields, "retained");
  return cohort;
}

analytics::FunnelStep read_step(const Json& json, const std::string& path) {
  Fields fields(json, path);
  analytics::FunnelStep step;
  step.event = fields.text("event");
  step.devices = fields.count("devices");
  step.conversion = fields.number("conversion");
  step.from_previous = fields.number("from_previous");
  return step;
}

analytics::Comparison read_comparison(const Json& json, const std::string& path) {
  Fields fields(json, path);
  analytics::Comparison comparison;
  comparison.metric = fields.text("metric");
  std::string unit = fields.text("unit");
  if (unit != "fraction" && unit != "mean")
    refuse(fields.path("unit"), "expected fraction or mean");
  comparison.rate = unit == "fraction";
  comparison.a = fields.number("a");
  comparison.b = fields.number("b");
  comparison.n_a = fields.count("devices_a");
  comparison.n_b = fields.count("devices_b");
  comparison.difference = fields.number("difference");
  comparison.p_value = fields.number_or_null("p_value");
  comparison.ci_low = fields.number_or_null("ci_low").value_or(0);
  comparison.ci_high = fields.number_or_null("ci_high").value_or(0);
  comparison.significant = fields.boolean("significant");
  return comparison;
}

}  // namespace

App app_from_json(const Json& json) {
  return read_app(json, "app");
}

AppList app_list_from_json(const Json& json) {
  return AppList{each_of(json, "apps", read_app)};
}

AppDeleted app_deleted_from_json(const Json& json) {
  Fields fields(json, "deleted");
  return AppDeleted{fields.text("id"), fields.count("releases_deleted")};
}

Release release_from_json(const Json& json) {
  return read_release(json, "release");
}

ReleaseList release_list_from_json(const Json& json) {
  return ReleaseList{each_of(json, "releases", read_release)};
}

History history_from_json(const Json& json, const std::string& ref) {
  History history;
  history.changes = each_of(json, "history", read_change);
  history.release = history.changes.empty() ? ref : history.changes.front().release;
  return history;
}

WhitelistChange whitelist_change_from_json(const Json& json) {
  Fields fields(json, "whitelist");
  return WhitelistChange{fields.text("release"), fields.count("changed"), fields.count("total")};
}

WhitelistIds whitelist_ids_from_json(const Json& json) {
  Fields fields(json, "whitelist");
  return WhitelistIds{fields.text("release"), fields.texts("devices")};
}

Device device_from_json(const Json& json) {
  return read_device(json, "device");
}

CheckResult check_result_from_json(const Json& json) {
  Fields fields(json, "");
  CheckResult result;
  result.device = read_device(fields.at("device"), "device");
  result.offers =
      each_of(fields.array("offers"), "offers", [](const Json& offer, const std::string& path) {
        return std::make_shared<const Release>(read_release(offer, path));
      });
  result.skipped = each_of(fields.array("skipped"), "skipped", read_skipped);
  result.decisions = each_of(fields.array("decisions"), "decisions", read_verdict);
  return result;
}

ReleaseGate release_gate_from_json(const Json& json) {
  Fields fields(json, "gate");
  ReleaseGate gate;
  gate.release = read_release(fields.at("release"), "gate.release");
  auto rules = fields.texts("rules");
  for (size_t i = 0; i < rules.size(); ++i) {
    try {
      gate.rules.push_back(parse_rule(rules[i]));
    } catch (const Error& error) {
      refuse(element("gate.rules", i), "bad rule (" + std::string(error.what()) + ")");
    }
  }
  gate.whitelist = id_set(fields, "whitelist");
  gate.counted = id_set(fields, "counted");
  gate.now = fields.time("now");
  return gate;
}

Token token_from_json(const Json& json) {
  return read_token(json, "token");
}

TokenList token_list_from_json(const Json& json) {
  return TokenList{each_of(json, "tokens", read_token)};
}

Token whoami_from_json(const Json& json) {
  Fields fields(json, "whoami");
  Token token;
  token.id = fields.text("token");
  token.name = fields.text("name");
  token.scope = read_scope(fields);
  return token;
}

analytics::IngestResult ingest_result_from_json(const Json& json) {
  Fields fields(json, "ingest");
  analytics::IngestResult result;
  result.app = fields.text("app");
  result.ingested = fields.count("ingested");
  result.duplicates = fields.count("duplicates");
  result.rejected = fields.count("rejected");
  result.files = fields.count("files");
  result.batches = fields.count("batches");
  result.events = fields.count("events");
  result.devices = fields.count("devices");
  result.rejections = each_of(fields.array("rejections"), "ingest.rejections", read_rejection);
  return result;
}

analytics::QueryResult query_result_from_json(const Json& json) {
  using analytics::Metric;
  Fields fields(json, "query");
  analytics::QueryResult result;
  result.request = read_query_request(fields);
  std::string unit = fields.text("unit");
  if (unit != "fraction" && unit != "count")
    refuse(fields.path("unit"), "expected fraction or count");
  result.rate = unit == "fraction";
  auto metric = result.request.metric;
  if (metric == Metric::retention) {
    result.cohorts = each_of(fields.array("cohorts"), "query.cohorts", read_cohort);
  } else if (metric == Metric::funnel) {
    result.funnel = each_of(fields.array("funnel"), "query.funnel", read_step);
  } else {
    result.periods = fields.texts("periods");
    result.series = each_of(fields.array("series"), "query.series",
                            [metric](const Json& item, const std::string& path) {
                              return read_series(item, path, metric == Metric::event);
                            });
    // Each series has a value per period: the CSV and the table index them by period.
    for (size_t i = 0; i < result.series.size(); ++i) {
      if (result.series[i].values.size() != result.periods.size())
        refuse(element("query.series", i) + ".values", "expected one value per period");
    }
  }
  return result;
}

analytics::CompareResult compare_result_from_json(const Json& json) {
  Fields fields(json, "compare");
  analytics::CompareResult result;
  result.request.app = fields.text("app");
  result.request.version_a = fields.text("version_a");
  result.request.version_b = fields.text("version_b");
  result.request.from_day = parsed_field(
      fields, "from", [](const std::string& text) { return analytics::parse_date(text, "from"); });
  result.request.to_day = parsed_field(
      fields, "to", [](const std::string& text) { return analytics::parse_date(text, "to"); });
  result.request.tz = fields.text("tz");
  result.metrics = each_of(fields.array("metrics"), "compare.metrics", read_comparison);
  result.verdict = fields.text("verdict");
  return result;
}

std::optional<ErrorKind> error_kind_named(const std::string& name) {
  for (ErrorKind kind : {ErrorKind::failure, ErrorKind::usage, ErrorKind::invalid_input,
                         ErrorKind::verification, ErrorKind::not_found, ErrorKind::conflict,
                         ErrorKind::auth, ErrorKind::unavailable, ErrorKind::interrupted}) {
    if (name == kind_name(kind))
      return kind;
  }
  return std::nullopt;
}

Error error_from_json(const Json& json) {
  Fields outer(json, "");
  Fields fields(outer.at("error"), "error");
  auto kind = error_kind_named(fields.text("kind"));
  std::string message = fields.text("message");
  // A message is one line; a server that breaks that is cut at the first line break.
  message = message.substr(0, std::min(message.find_first_of("\r\n"), max_message_length));
  if (message.empty())
    refuse("error.message", "empty message");
  return Error(kind.value_or(ErrorKind::failure), message, fields.text_or_empty("subject"));
}

}  // namespace mpaas::platform
