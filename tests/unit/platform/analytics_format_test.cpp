// The analytics store's files, white-box (lib/platform/local/analytics_store.hpp): a version 2
// segment round trip (runs per event name, chunks, every column, the key stream), and a
// version 1 store, written here byte by byte as docs/formats.md describes it, read by the
// current code and extended by a new ingest.
#include <zstd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <map>
#include <sstream>

#include "../../../lib/platform/local/analytics_store.hpp"  // white-box: the store's files
#include "error_kind.hpp"
#include "mpaas/core/clock.hpp"
#include "mpaas/platform/local.hpp"
#include "temp_dir.hpp"

using namespace mpaas;
using namespace mpaas::platform;
using namespace mpaas::analytics;
namespace layout = mpaas::platform::local::analytics_store;
using mpaas::test::kind_of_error;
using mpaas::test::TempDir;
namespace fs = std::filesystem;

namespace {

void put_u32(std::string& out, uint32_t value) {
  for (int i = 0; i < 4; ++i)
    out += static_cast<char>((value >> (8 * i)) & 0xFF);
}
void put_u64(std::string& out, uint64_t value) {
  for (int i = 0; i < 8; ++i)
    out += static_cast<char>((value >> (8 * i)) & 0xFF);
}
void put_varint(std::string& out, uint64_t value) {
  while (value >= 0x80) {
    out += static_cast<char>((value & 0x7F) | 0x80);
    value >>= 7;
  }
  out += static_cast<char>(value);
}
std::string zstd(const std::string& raw) {
  std::string out(ZSTD_compressBound(raw.size()), '\0');
  size_t size = ZSTD_compress(out.data(), out.size(), raw.data(), raw.size(), 3);
  REQUIRE(!ZSTD_isError(size));
  out.resize(size);
  return out;
}
void write_file(const fs::path& file, const std::string& bytes) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << bytes;
}
std::string read_file(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}
uint32_t u32_at(const std::string& bytes, size_t at) {
  uint32_t value = 0;
  for (int i = 3; i >= 0; --i)
    value = (value << 8) | static_cast<uint8_t>(bytes[at + static_cast<size_t>(i)]);
  return value;
}
int64_t ms(const std::string& day, int hour, int minute) {
  return parse_date(day, "day") * 86400000 + hour * 3600000 + minute * 60000;
}

// The hand-checked set of analytics_store_test.cpp, as rows of a version 1 store.
struct OldEvent {
  std::string id;
  uint32_t device;  // d1..d4 -> 0..3
  int64_t time;
  uint32_t event;    // 1 launch, 2 page_view, 3 crash, 4 purchase
  uint32_t version;  // 1 "1.0", 2 "1.1"
  uint32_t region;   // 1 "EU", 2 "US"
};
std::vector<OldEvent> old_events() {
  return {
      {"e01", 0, ms("2026-03-02", 10, 0), 1, 1, 1},  {"e02", 0, ms("2026-03-02", 10, 1), 2, 1, 1},
      {"e03", 0, ms("2026-03-03", 10, 0), 1, 1, 1},  {"e04", 0, ms("2026-03-03", 10, 5), 3, 1, 1},
      {"e05", 1, ms("2026-03-02", 23, 30), 1, 1, 1}, {"e06", 1, ms("2026-03-04", 9, 0), 1, 2, 1},
      {"e09", 2, ms("2026-03-03", 12, 30), 4, 2, 2}, {"e07", 2, ms("2026-03-03", 12, 0), 1, 2, 2},
      {"e08", 2, ms("2026-03-03", 12, 1), 2, 2, 2},  {"e10", 3, ms("2026-03-04", 8, 0), 1, 2, 1},
      {"e11", 3, ms("2026-03-04", 8, 1), 3, 2, 1}};
}

std::string dictionary_bytes(const std::vector<std::string>& values) {
  std::string out;
  for (const auto& value : values) {
    put_varint(out, value.size());
    out += value;
  }
  return out;
}

// Writes a version 1 store (manifest version `version`) of old_events() into `folder`.
void write_version_1_store(const fs::path& folder, uint32_t version = 1) {
  fs::create_directories(folder);
  auto events = old_events();
  std::stable_sort(events.begin(), events.end(),
                   [](const OldEvent& a, const OldEvent& b) { return a.time < b.time; });
  const char* names[10] = {"dict-device",     "dict-user",  "dict-platform", "dict-app_version",
                           "dict-os_version", "dict-model", "dict-region",   "dict-network",
                           "dict-channel",    "dict-event"};
  std::vector<std::vector<std::string>> dictionaries(10);
  dictionaries[0] = {"d1", "d2", "d3", "d4"};
  dictionaries[2] = {"android"};
  dictionaries[3] = {"1.0", "1.1"};
  dictionaries[6] = {"EU", "US"};
  dictionaries[9] = {"launch", "page_view", "crash", "purchase"};
  for (size_t d = 0; d < 10; ++d)
    write_file(folder / names[d], dictionary_bytes(dictionaries[d]));
  // The segment: one frame per column, rows sorted by time, one byte per id.
  std::vector<std::string> raw(13);
  int64_t previous = 0;
  std::vector<uint64_t> keys;
  for (const auto& event : events) {
    uint32_t ids[10] = {event.device, 0, 1, event.version, 0, 0, event.region, 0, 0, event.event};
    for (size_t c = 0; c < 10; ++c)
      raw[c] += static_cast<char>(ids[c]);
    put_varint(raw[10], static_cast<uint64_t>(event.time - previous));
    previous = event.time;
    put_varint(raw[11], 0);  // no properties
    keys.push_back(event_id_key(event.id));
  }
  std::sort(keys.begin(), keys.end());
  for (uint64_t key : keys)
    put_u64(raw[12], key);
  std::string segment("MPAASEG1");
  put_u32(segment, 1);
  put_u32(segment, static_cast<uint32_t>(events.size()));
  put_u64(segment, static_cast<uint64_t>(events.front().time));
  put_u64(segment, static_cast<uint64_t>(events.back().time));
  put_u32(segment, 13);
  uint64_t offset = 36 + 13 * 32;
  std::string frames;
  for (uint32_t c = 0; c < 13; ++c) {
    std::string frame = zstd(raw[c]);
    put_u32(segment, c);
    put_u32(segment, c < 10 ? 1 : c == 12 ? 8 : 0);
    put_u64(segment, offset);
    put_u64(segment, frame.size());
    put_u64(segment, raw[c].size());
    offset += frame.size();
    frames += frame;
  }
  write_file(folder / "seg-1.seg", segment + frames);
  std::string body;
  put_u32(body, version);
  put_u64(body, 1);  // generation
  put_u64(body, 2);  // next segment
  for (size_t d = 0; d < 10; ++d) {
    put_u32(body, static_cast<uint32_t>(dictionaries[d].size()));
    put_u64(body, dictionary_bytes(dictionaries[d]).size());
  }
  put_u32(body, 1);
  put_u64(body, 1);
  put_u32(body, static_cast<uint32_t>(events.size()));
  put_u64(body, static_cast<uint64_t>(events.front().time));
  put_u64(body, static_cast<uint64_t>(events.back().time));
  put_u64(body, offset);
  put_u32(body, 4);
  for (uint32_t device = 0; device < 4; ++device) {
    int64_t first = INT64_MAX;
    for (const auto& event : events)
      if (event.device == device)
        first = std::min(first, event.time);
    put_u64(body, static_cast<uint64_t>(first));
  }
  std::string manifest("MPAAMAN1");
  put_u64(manifest, body.size());
  write_file(folder / "MANIFEST", manifest + zstd(body));
}

uint32_t manifest_version(const fs::path& folder) {
  std::string bytes = read_file(folder / "MANIFEST");
  std::string body(u32_at(bytes, 8), '\0');
  size_t size = ZSTD_decompress(body.data(), body.size(), bytes.data() + 16, bytes.size() - 16);
  REQUIRE(size == body.size());
  return u32_at(body, 0);
}

const std::string app = "com.example.shop";

struct Store {
  TempDir home;
  FakeClock clock;
  std::unique_ptr<mpaas::platform::Platform> store;
  Store() {
    clock.set(std::chrono::system_clock::time_point(std::chrono::seconds(1775000000)));
    store = open_local_platform(home / "platform", "tester", clock);
    store->create_app(app, "Shop");
  }
  fs::path folder() const { return home / "platform" / "analytics" / app; }
  QueryResult query(Metric metric, std::function<void(QueryRequest&)> adjust = {}) {
    QueryRequest request;
    request.app = app;
    request.metric = metric;
    request.from_day = parse_date("2026-03-02", "from");
    request.to_day = parse_date("2026-03-04", "to");
    if (adjust)
      adjust(request);
    return store->query_events(request);
  }
};

std::vector<double> values(const QueryResult& result) {
  std::vector<double> out;
  for (const auto& value : result.series.at(0).values)
    out.push_back(value.value_or(-1));
  return out;
}
using V = std::vector<double>;

}  // namespace

TEST_CASE("a version 2 segment keeps each event's rows together, sorted, in chunks",
          "[analytics][platform]") {
  TempDir dir;
  // 40,000 page views (a run of their own chunk, and more keys than one streamed block) and
  // two rare events that share a chunk, interleaved in the input, times out of order.
  layout::SegmentRows rows;
  struct Row {
    uint32_t event, device;
    int64_t time;
    std::string properties;
  };
  std::vector<Row> input;
  uint64_t state = 12345;
  auto next = [&] { return state = state * 6364136223846793005ull + 1442695040888963407ull; };
  for (uint32_t i = 0; i < 40017; ++i) {
    uint32_t event = i % 4000 == 7 ? 3 : i % 5000 == 11 ? 5 : 2;
    int64_t time = 1772400000000 + static_cast<int64_t>(next() % 86400000);
    std::string properties = i % 3 == 0 ? "{\"n\":" + std::to_string(i) + "}" : "";
    input.push_back(Row{event, i % 300, time, properties});
    rows.time.push_back(time);
    for (uint32_t c = 0; c < layout::dictionary_count; ++c)
      rows.columns[c].push_back(c == layout::col_event    ? event
                                : c == layout::col_device ? i % 300
                                                          : c);
    rows.property_bytes += properties;
    rows.property_end.push_back(rows.property_bytes.size());
    rows.keys.push_back(next());
  }
  auto info = layout::write_segment(dir / "seg-1.seg", rows, 1);
  CHECK(info.events == 40017);
  layout::SegmentReader reader(dir / "seg-1.seg");
  CHECK(reader.version() == 2);
  REQUIRE(reader.runs().size() == 3);
  CHECK(reader.runs()[0].event == 2);
  CHECK(reader.runs()[0].rows == 40017 - 11 - 9);
  CHECK(reader.runs()[1].event == 3);
  CHECK(reader.runs()[1].rows == 11);
  CHECK(reader.runs()[2].event == 5);
  CHECK(reader.runs()[2].rows == 9);
  REQUIRE(reader.chunks().size() == 2);
  CHECK(reader.chunks()[0].runs == 1);
  CHECK(reader.chunks()[1].runs == 2);
  CHECK(reader.chunks()[1].rows == 20);

  // Every row comes back, each run sorted by time.
  std::multimap<std::tuple<uint32_t, int64_t, uint32_t>, std::string> expected, found;
  for (const auto& row : input)
    expected.emplace(std::make_tuple(row.event, row.time, row.device), row.properties);
  layout::Values<int64_t> times;
  layout::Values<uint32_t> events, devices, platforms;
  std::vector<std::string> properties;
  for (uint32_t c = 0; c < reader.chunks().size(); ++c) {
    reader.times(c, times);
    reader.ids(c, layout::col_event, events);
    reader.ids(c, layout::col_device, devices);
    reader.ids(c, layout::col_first_dimension, platforms);
    reader.properties(c, properties);
    REQUIRE(times.size() == reader.chunks()[c].rows);
    for (size_t i = 0; i < times.size(); ++i) {
      if (i > 0 && events[i] == events[i - 1])
        CHECK(times[i] >= times[i - 1]);
      CHECK(platforms[i] == layout::col_first_dimension);
      found.emplace(std::make_tuple(events[i], times[i], devices[i]), properties[i]);
    }
  }
  CHECK(found == expected);
  std::vector<uint64_t> keys;
  reader.id_keys(keys);
  std::vector<uint64_t> sorted = rows.keys;
  std::sort(sorted.begin(), sorted.end());
  CHECK(keys == sorted);
}

TEST_CASE("a version 1 store is read, deduplicated against and extended", "[analytics][platform]") {
  Store p;
  write_version_1_store(p.folder());
  CHECK(values(p.query(Metric::active_devices)) == V{2, 2, 2});
  CHECK(values(p.query(Metric::new_devices)) == V{2, 1, 1});
  CHECK(values(p.query(Metric::launches)) == V{2, 2, 2});
  CHECK(values(p.query(Metric::crashes)) == V{0, 1, 1});
  CHECK(values(p.query(Metric::crash_free)) == V{1.0, 0.5, 0.5});
  auto purchase = p.query(Metric::event, [](QueryRequest& r) { r.event = "purchase"; });
  CHECK(values(purchase) == V{0, 1, 0});
  CHECK(purchase.series[0].devices == std::vector<uint64_t>{0, 1, 0});
  auto us =
      p.query(Metric::launches, [](QueryRequest& r) { r.where = parse_where({"region=US"}); });
  CHECK(values(us) == V{0, 1, 0});
  auto funnel = p.query(Metric::funnel, [](QueryRequest& r) {
    r.steps = {"launch", "page_view", "purchase"};
  });
  CHECK(funnel.funnel[0].devices == 4);
  CHECK(funnel.funnel[1].devices == 2);
  CHECK(funnel.funnel[2].devices == 1);

  // A new ingest finds the old ids, writes a version 2 segment beside the old one and
  // a version 2 manifest; queries read both.
  std::string lines =
      R"({"time":"2026-03-02T10:00:00Z","event_id":"e01","device_id":"d1","event":"launch"})"
      "\n"
      R"({"time":"2026-03-02T08:00:00Z","event_id":"e20","device_id":"d3","event":"page_view"})"
      "\n"
      R"({"time":"2026-03-04T08:30:00Z","event_id":"e21","device_id":"d4","event":"page_view"})"
      "\n";
  std::istringstream in(lines);
  IngestRequest request;
  request.app = app;
  request.inputs.push_back(IngestInput{"late.ndjson", &in, std::nullopt, 0});
  NullProgress progress;
  auto summary = p.store->ingest_events(request, progress);
  CHECK(summary.ingested == 2);
  CHECK(summary.duplicates == 1);
  CHECK(summary.events == 13);
  CHECK(summary.devices == 4);
  CHECK(manifest_version(p.folder()) == 2);
  CHECK(u32_at(read_file(p.folder() / "seg-2.seg"), 8) == 2);
  CHECK(u32_at(read_file(p.folder() / "seg-1.seg"), 8) == 1);
  CHECK(values(p.query(Metric::active_devices)) == V{3, 2, 2});
  CHECK(values(p.query(Metric::new_devices)) == V{3, 0, 1});
  auto views = p.query(Metric::event, [](QueryRequest& r) { r.event = "page_view"; });
  CHECK(values(views) == V{2, 1, 1});
  auto steps = p.query(Metric::funnel, [](QueryRequest& r) { r.steps = {"launch", "page_view"}; });
  CHECK(steps.funnel[1].devices == 3);
}

TEST_CASE("a store of a newer version is refused, not misread", "[analytics][platform]") {
  Store p;
  write_version_1_store(p.folder(), 3);
  CHECK(kind_of_error([&] { p.query(Metric::launches); }) == ErrorKind::failure);
  try {
    p.query(Metric::launches);
  } catch (const Error& error) {
    CHECK(std::string(error.what()).find("was written by a newer mpaas") != std::string::npos);
  }
}
