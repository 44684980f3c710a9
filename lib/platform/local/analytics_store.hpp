// The embedded analytics store of one app: dictionary-encoded, time-sorted columnar
// segments compressed with zstd, append-only dictionaries, and a manifest whose atomic
// replacement commits each batch (docs/formats.md, "Analytics store"). Every file-format
// detail of analytics lives in analytics_*.cpp; a server-side store (ClickHouse,
// PostgreSQL) would sit beside it behind the same Platform methods.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "mpaas/analytics/query.hpp"
#include "mpaas/core/error.hpp"
#include "mpaas/core/progress.hpp"

namespace mpaas::platform::local::analytics_store {

namespace fs = std::filesystem;
using namespace mpaas::analytics;

// Large buffers (decoded columns) in transparent huge pages where the system offers them:
// a query touches tens of megabytes once, and on virtual machines a fault per 4 KiB page
// costs more than decoding the page. Small ones come from the ordinary heap.
void* allocate_buffer(size_t bytes);
void release_buffer(void* pointer, size_t bytes);

// A vector whose elements are not zeroed when it grows (decoded columns are written over
// right away, and zeroing megabytes per chunk first would cost as much as decoding them),
// held in buffers of allocate_buffer.
template <class T>
struct UninitializedAllocator {
  using value_type = T;
  UninitializedAllocator() = default;
  template <class U>
  UninitializedAllocator(const UninitializedAllocator<U>&) noexcept {}
  T* allocate(size_t n) { return static_cast<T*>(allocate_buffer(n * sizeof(T))); }
  void deallocate(T* p, size_t n) noexcept { release_buffer(p, n * sizeof(T)); }
  template <class U>
  void construct(U* p) noexcept {
    ::new (static_cast<void*>(p)) U;
  }
  template <class U, class... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
  template <class U>
  bool operator==(const UninitializedAllocator<U>&) const noexcept {
    return true;
  }
};
template <class T>
using Values = std::vector<T, UninitializedAllocator<T>>;

// Column numbers of a segment. 0..9 are the dictionaries' numbers too.
enum Column : uint32_t {
  col_device = 0,
  col_user = 1,
  col_first_dimension = 2,  // + Dimension (platform .. event)
  col_event = col_first_dimension + static_cast<uint32_t>(Dimension::event),
  dictionary_count = col_first_dimension + static_cast<uint32_t>(dimension_count),  // 10
  col_time = dictionary_count,  // 10: varint deltas of sorted milliseconds
  col_properties,               // 11: varint length + bytes per event
  col_ids,                      // 12: sorted 64-bit event id keys (a set, not per row)
  col_hourly,                   // 13: events per (UTC hour, event name): counts without a scan
  column_count,
};
const char* dictionary_file_name(uint32_t dictionary);

// The manifest's version: 2 since segments are clustered by event name (version 1 stores,
// with time-sorted segments, are still read, and their new batches are written as version 2).
constexpr uint32_t manifest_version = 2;

struct SegmentInfo {
  uint64_t number = 0;
  uint32_t events = 0;
  int64_t min_time = 0, max_time = 0;
  uint64_t bytes = 0;
};

struct DictionaryInfo {
  uint32_t entries = 0;
  uint64_t bytes = 0;
};

// What the manifest commits: the segments, how much of each dictionary file is valid, and
// each device's first time seen (milliseconds, indexed by device id).
struct Manifest {
  uint64_t generation = 0;
  uint64_t next_segment = 1;
  DictionaryInfo dictionaries[dictionary_count];
  std::vector<SegmentInfo> segments;
  std::vector<int64_t> first_seen;
  uint64_t events() const;
};

// Reads the manifest of `folder`; an empty one when there is none yet. invalid_input for a
// damaged file.
Manifest read_manifest(const fs::path& folder);
void write_manifest(const fs::path& folder, const Manifest& manifest);

// A dictionary: values by id. Device ids start at 0; the others at 1, 0 meaning "none".
class Dictionary {
 public:
  explicit Dictionary(uint32_t base) : m_base(base) {}
  // Loads the first `info.entries` values of the file (which may hold uncommitted ones).
  void load(const fs::path& file, const DictionaryInfo& info);
  uint32_t base() const { return m_base; }
  size_t size() const { return m_values.size(); }
  const std::string& value(uint32_t id) const { return m_values[id - m_base]; }
  // The id of `value`, or -1.
  int64_t find(const std::string& value) const;
  // The id of `value`, added when new (0 for an empty value when base is 1).
  uint32_t intern(const std::string& value);
  // Ingest interns the values of a whole batch before it knows which of its events are
  // duplicates: `begin_batch` marks where the batch's values start, and `end_batch` keeps
  // only the new values that `column` (the ids of the batch's stored events) uses,
  // renumbered in the order of their first use, rewriting `column` to match. The ids are then
  // exactly those of interning the stored events alone.
  void begin_batch() { m_batch_start = m_values.size(); }
  void end_batch(std::vector<uint32_t>& column);
  // Appends the values added since load/last commit to `file` at `info.bytes` (anything
  // after that is garbage from an interrupted run and is overwritten), fsyncs, updates info.
  void append_new(const fs::path& file, DictionaryInfo& info);

 private:
  void index_all();
  uint32_t m_base;
  std::vector<std::string> m_values;
  std::unordered_map<std::string, uint32_t> m_ids;
  bool m_indexed = false;
  size_t m_committed = 0;
  size_t m_batch_start = 0;
};

// A segment's rows are grouped in runs, one per event name (ascending dictionary id), each
// sorted by time; runs are stored in chunks, each column of a chunk one zstd frame, so a
// query for some events decodes only the chunks that hold them. A version 1 segment reads as
// one chunk holding one run of every event (`mixed_event`), sorted by time.
constexpr uint32_t mixed_event = 0xFFFFFFFFu;
struct Run {
  uint32_t event = mixed_event;
  uint32_t first_row = 0, rows = 0;  // rows of the segment
  int64_t min_time = 0, max_time = 0;
};
struct Chunk {
  uint32_t first_run = 0, runs = 0;
  uint32_t first_row = 0, rows = 0;
};

// Reads one segment file: its header at construction, then columns on demand.
class SegmentReader {
 public:
  explicit SegmentReader(const fs::path& file);
  ~SegmentReader();
  SegmentReader(const SegmentReader&) = delete;
  SegmentReader& operator=(const SegmentReader&) = delete;
  uint32_t version() const { return m_version; }
  uint32_t events() const { return m_events; }
  const std::vector<Run>& runs() const { return m_runs; }
  const std::vector<Chunk>& chunks() const { return m_chunks; }
  // The rows of one chunk, in order: times (sorted within each run), the dictionary ids of a
  // column (the event column of a version 2 segment comes from its runs), properties.
  void times(uint32_t chunk, Values<int64_t>& out);
  void ids(uint32_t chunk, uint32_t column, Values<uint32_t>& out);
  void properties(uint32_t chunk, std::vector<std::string>& out);
  // The segment's event id keys, sorted, handed to `visit(keys, count)` a block at a time
  // (ingest checks new keys against them in bounded memory).
  void for_each_key_block(const std::function<void(const uint64_t*, size_t)>& visit);
  void id_keys(std::vector<uint64_t>& out);
  // (UTC hour since the epoch, event id, events) sorted by hour; false for a segment
  // written without the column.
  struct HourlyCount {
    int64_t hour;
    uint32_t event;
    uint64_t count;
  };
  bool hourly(std::vector<HourlyCount>& out);

 private:
  struct Entry {
    uint32_t width = 0;
    uint64_t offset = 0, stored = 0, raw = 0;
    bool present = false;
  };
  void read_header_v1(std::string_view head);
  void read_header_v2();
  void check_entry(uint32_t column, const Entry& entry, uint64_t rows) const;
  const Entry& entry(uint32_t chunk, uint32_t column) const;
  void raw_column(const Entry& entry, Values<char>& out);
  Error corrupt() const;
  fs::path m_file;
  int m_fd = -1;
  uint64_t m_size = 0;
  uint32_t m_version = 0;
  uint32_t m_events = 0;
  std::vector<Run> m_runs;
  std::vector<Chunk> m_chunks;
  std::vector<std::array<Entry, column_count>> m_entries;  // per chunk
  Entry m_ids, m_hourly;                                   // of the whole segment
};

// The rows of one batch as columns, in input order, before they are sorted and written.
struct SegmentRows {
  std::vector<int64_t> time;
  std::vector<uint32_t> columns[dictionary_count];
  std::string property_bytes;          // every row's properties, one after the other
  std::vector<uint64_t> property_end;  // where each row's properties end
  std::vector<uint64_t> keys;
  size_t size() const { return time.size(); }
  std::string_view properties(size_t row) const {
    uint64_t start = row ? property_end[row - 1] : 0;
    return std::string_view(property_bytes).substr(start, property_end[row] - start);
  }
  // Keeps the rows whose `keep` is set, in order.
  void keep_only(const std::vector<uint8_t>& keep);
  void clear();
};
// Writes the rows to `file` (temp then rename, synced) grouped by event and sorted by time.
// The rows' keys must be unique.
SegmentInfo write_segment(const fs::path& file, const SegmentRows& rows, uint64_t number);
fs::path segment_path(const fs::path& folder, uint64_t number);

// The store of one app in `folder` (<data>/platform/analytics/<app>).
IngestResult ingest(const fs::path& folder, const IngestRequest& request, ProgressSink& progress);
QueryResult query(const fs::path& folder, const QueryRequest& request);
CompareResult compare(const fs::path& folder, const CompareRequest& request);

}  // namespace mpaas::platform::local::analytics_store
