// Queries over the analytics store: each metric is one pass over the columns it needs, in
// the segments that overlap the range, with devices counted in bitsets (a bit per device
// and period) so that distinct counts cost a bit each instead of a hash lookup. Periods are
// instants computed once from the time zone; an event's period is found by walking the
// boundaries along a segment's sorted times. Nothing is precomputed per day, so an event
// that arrives late changes the next answer like any other.
#include <algorithm>
#include <bit>
#include <climits>
#include <cmath>
#include <optional>

#include "analytics_store.hpp"
#include "mpaas/core/error.hpp"
#include "mpaas/core/interrupt.hpp"

namespace mpaas::platform::local::analytics_store {
namespace {

constexpr size_t max_groups = 200;
constexpr uint64_t max_bitset_bytes = uint64_t(2) << 30;
constexpr size_t max_retention_periods = 3000;

// "2.10.0" after "2.9.1": digit runs compare as numbers.
bool natural_less(const std::string& a, const std::string& b) {
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    bool da = std::isdigit(static_cast<unsigned char>(a[i])) != 0;
    bool db = std::isdigit(static_cast<unsigned char>(b[j])) != 0;
    if (da && db) {
      size_t ie = i, je = j;
      while (ie < a.size() && std::isdigit(static_cast<unsigned char>(a[ie])))
        ++ie;
      while (je < b.size() && std::isdigit(static_cast<unsigned char>(b[je])))
        ++je;
      std::string na = a.substr(i, ie - i), nb = b.substr(j, je - j);
      na.erase(0, std::min(na.find_first_not_of('0'), na.size()));
      nb.erase(0, std::min(nb.find_first_not_of('0'), nb.size()));
      if (na.size() != nb.size())
        return na.size() < nb.size();
      if (na != nb)
        return na < nb;
      i = ie;
      j = je;
      continue;
    }
    if (a[i] != b[j])
      return a[i] < b[j];
    ++i;
    ++j;
  }
  return a.size() - i < b.size() - j;
}

uint32_t column_of_field(const std::string& field) {
  if (field == "device_id")
    return col_device;
  if (field == "user_id")
    return col_user;
  auto dimension = parse_dimension(field);
  return col_first_dimension + static_cast<uint32_t>(*dimension);
}

class Bitset {
 public:
  Bitset() = default;
  explicit Bitset(size_t bits) : m_words((bits + 63) / 64, 0) {}
  void set(size_t bit) { m_words[bit >> 6] |= uint64_t(1) << (bit & 63); }
  bool test(size_t bit) const { return (m_words[bit >> 6] >> (bit & 63)) & 1; }
  uint64_t count() const {
    uint64_t total = 0;
    for (uint64_t word : m_words)
      total += static_cast<uint64_t>(std::popcount(word));
    return total;
  }
  uint64_t count_without(const Bitset& other) const {
    uint64_t total = 0;
    for (size_t i = 0; i < m_words.size(); ++i)
      total += static_cast<uint64_t>(std::popcount(m_words[i] & ~other.m_words[i]));
    return total;
  }
  bool empty() const { return m_words.empty(); }
  size_t bytes() const { return m_words.size() * 8; }

 private:
  std::vector<uint64_t> m_words;
};

// The columns of one chunk a query reads, decoded, with each event's period and whether it
// passes the filters (and belongs to an event the scan asked for).
struct Block {
  Values<int64_t> time;
  Values<uint32_t> device, event, group;
  std::vector<int32_t> period;  // -1: outside the periods
  std::vector<uint8_t> keep;    // passes every --where filter and the scan's event choice
  size_t rows = 0;
  std::vector<size_t> run_ends;  // where each run of the chunk ends (each sorted by time)
  size_t segment = 0;            // the index of the block's segment in the manifest
  size_t size() const { return rows; }
};

// What a scan reads: events in [begin, end), their periods, and the columns asked for.
// `events`, when set, is the event ids to read (by id); a segment's chunks without them are
// not decoded at all.
struct ScanSpec {
  int64_t begin = INT64_MIN, end = INT64_MAX;
  const Periods* periods = nullptr;
  bool time = true, device = false, event = false;  // time false: no periods either
  std::optional<uint32_t> group;
  const std::vector<uint8_t>* events = nullptr;
};

class Engine {
 public:
  Engine(const fs::path& folder, const std::string& tz)
      : m_folder(folder), m_manifest(read_manifest(folder)), m_zone(TimeZone::locate(tz)) {}

  const Manifest& manifest() const { return m_manifest; }
  const TimeZone& zone() const { return m_zone; }
  size_t devices() const { return m_manifest.first_seen.size(); }

  Dictionary& dictionary(uint32_t column) {
    auto& slot = m_dictionaries[column];
    if (!slot) {
      slot.emplace(column == col_device ? 0 : 1);
      slot->load(m_folder / dictionary_file_name(column), m_manifest.dictionaries[column]);
    }
    return *slot;
  }

  // The id of `value` in a column's dictionary, or -1.
  int64_t id_of(uint32_t column, const std::string& value) {
    return dictionary(column).find(value);
  }

  // Counts of one event name per period from the segments' hourly counts, when every
  // period starts on a whole UTC hour (any zone whose offsets are whole hours) and every
  // segment has them; false (nothing counted) otherwise, and the caller scans.
  template <class Cells>
  bool hourly_counts(const Periods& periods, uint32_t event, Cells& cells) {
    for (int64_t start : periods.starts) {
      if (start % 3600000 != 0)
        return false;
    }
    cells.ensure(1);
    std::vector<SegmentReader::HourlyCount> counts;
    std::vector<std::pair<size_t, uint64_t>> found;  // (period, events)
    for (const auto& info : m_manifest.segments) {
      if (info.max_time < periods.begin() || info.min_time >= periods.end() || info.events == 0)
        continue;
      throw_if_stop_requested();
      SegmentReader reader(segment_path(m_folder, info.number));
      if (!reader.hourly(counts))
        return false;
      for (const auto& count : counts) {
        if (count.event != event)
          continue;
        int p = periods.index_of(count.hour * 3600000);
        if (p >= 0)
          found.emplace_back(static_cast<size_t>(p), count.count);
      }
    }
    for (const auto& [p, events] : found)
      cells.count(0, p) += events;
    return true;
  }

  void set_filters(const std::vector<Where>& where) {
    for (const auto& item : where) {
      Filter filter;
      filter.column = column_of_field(item.field);
      auto& dictionary = this->dictionary(filter.column);
      filter.allowed.assign(dictionary.size() + dictionary.base(), 0);
      bool any = false;
      for (const auto& value : item.values) {
        int64_t id = dictionary.find(value);
        if (id >= 0) {
          filter.allowed[static_cast<size_t>(id)] = 1;
          any = true;
        }
      }
      if (!any)
        m_impossible = true;
      m_filters.push_back(std::move(filter));
    }
  }
  bool impossible() const { return m_impossible; }

  // Calls `visit(block)` for each chunk of the segments holding events in [begin, end) (of
  // the events asked for), with the columns asked for decoded and `period` set against
  // `periods` (all -1 without periods).
  template <class Visit>
  void scan(const ScanSpec& spec, Visit visit) {
    if (m_impossible)
      return;
    std::vector<uint8_t> wanted_events;
    const std::vector<uint8_t>* wanted = combined_events(spec.events, wanted_events);
    if (wanted && std::find(wanted->begin(), wanted->end(), 1) == wanted->end())
      return;
    Block block;
    Values<uint32_t> values;
    std::vector<uint8_t> run_wanted;
    for (const auto& info : m_manifest.segments) {
      if (info.max_time < spec.begin || info.min_time >= spec.end || info.events == 0)
        continue;
      throw_if_stop_requested();
      SegmentReader reader(segment_path(m_folder, info.number));
      const auto& runs = reader.runs();
      const auto& chunks = reader.chunks();
      run_wanted.assign(runs.size(), 0);
      for (size_t r = 0; r < runs.size(); ++r) {
        const Run& run = runs[r];
        bool in_time = run.max_time >= spec.begin && run.min_time < spec.end;
        bool event = !wanted || run.event == mixed_event ||
                     (run.event < wanted->size() && (*wanted)[run.event]);
        run_wanted[r] = in_time && event;
      }
      for (uint32_t c = 0; c < chunks.size(); ++c) {
        const Chunk& chunk = chunks[c];
        bool any = false, mixed = false;
        for (uint32_t r = chunk.first_run; r < chunk.first_run + chunk.runs; ++r) {
          any = any || run_wanted[r];
          mixed = mixed || runs[r].event == mixed_event;
        }
        if (!any)
          continue;
        read_chunk(reader, c, spec, info.number, wanted && mixed, block);
        block.keep.assign(block.size(), 0);
        block.run_ends.clear();
        block.segment = static_cast<size_t>(&info - m_manifest.segments.data());
        size_t at = 0;
        for (uint32_t r = chunk.first_run; r < chunk.first_run + chunk.runs; ++r) {
          if (run_wanted[r])
            std::fill_n(block.keep.begin() + static_cast<std::ptrdiff_t>(at), runs[r].rows, 1);
          at += runs[r].rows;
          block.run_ends.push_back(at);
        }
        if (wanted && mixed) {
          // A version 1 segment: one run of every event, chosen row by row.
          for (size_t i = 0; i < block.size(); ++i) {
            uint32_t id = block.event[i];
            if (id >= wanted->size() || !(*wanted)[id])
              block.keep[i] = 0;
          }
        }
        for (const auto& filter : m_filters) {
          if (filter.column == col_event)
            continue;  // applied to the runs through `wanted`
          reader.ids(c, filter.column, values);
          for (size_t i = 0; i < values.size(); ++i) {
            uint32_t id = values[i];
            if (id >= filter.allowed.size() || !filter.allowed[id])
              block.keep[i] = 0;
          }
        }
        if (spec.time)
          assign_periods(block, reader, chunk, spec.periods);
        visit(block);
      }
    }
  }

 private:
  struct Filter {
    uint32_t column = 0;
    std::vector<uint8_t> allowed;
  };

  // Ids index bitsets and labels: one beyond its dictionary is a damaged store, refused.
  void check_ids(const Values<uint32_t>& ids, size_t limit, uint64_t segment) const {
    uint32_t largest = ids.empty() ? 0 : *std::max_element(ids.begin(), ids.end());
    if (!ids.empty() && largest >= limit) {
      std::string name = segment_path(m_folder, segment).string();
      throw invalid_input("the analytics store is damaged: " + name + " is corrupt", name);
    }
  }

  // The event ids a scan reads: those asked for, narrowed by --where event=...; null: all.
  const std::vector<uint8_t>* combined_events(const std::vector<uint8_t>* asked,
                                              std::vector<uint8_t>& storage) const {
    const std::vector<uint8_t>* result = asked;
    for (const auto& filter : m_filters) {
      if (filter.column != col_event)
        continue;
      if (!result) {
        result = &filter.allowed;
        continue;
      }
      const auto& other = filter.allowed;
      std::vector<uint8_t> both(std::min(result->size(), other.size()), 0);
      for (size_t id = 0; id < both.size(); ++id)
        both[id] = (*result)[id] && other[id];
      storage = std::move(both);
      result = &storage;
    }
    return result;
  }

  void read_chunk(SegmentReader& reader, uint32_t c, const ScanSpec& spec, uint64_t segment,
                  bool need_event, Block& block) {
    block.rows = reader.chunks()[c].rows;
    if (spec.time)
      reader.times(c, block.time);
    if (spec.device) {
      reader.ids(c, col_device, block.device);
      check_ids(block.device, devices(), segment);
    }
    if (spec.event || need_event)
      reader.ids(c, col_event, block.event);
    if (spec.group) {
      reader.ids(c, *spec.group, block.group);
      check_ids(block.group, dictionary(*spec.group).size() + 1, segment);
    }
  }

  // Rows are sorted by time within each run, so each run walks the period boundaries.
  static void assign_periods(Block& block, const SegmentReader& reader, const Chunk& chunk,
                             const Periods* periods) {
    block.period.assign(block.size(), -1);
    if (!periods || periods->size() == 0)
      return;
    const auto& starts = periods->starts;
    const size_t count = periods->size();
    const auto& runs = reader.runs();
    size_t run_begin = 0;
    for (uint32_t r = chunk.first_run; r < chunk.first_run + chunk.runs; ++r) {
      size_t run_end = run_begin + runs[r].rows;
      auto first = block.time.begin() + static_cast<std::ptrdiff_t>(run_begin);
      auto last = block.time.begin() + static_cast<std::ptrdiff_t>(run_end);
      size_t i =
          static_cast<size_t>(std::lower_bound(first, last, starts.front()) - block.time.begin());
      if (i < run_end) {
        size_t p = static_cast<size_t>(periods->index_of(block.time[i]));
        for (; i < run_end; ++i) {
          int64_t t = block.time[i];
          while (p < count && t >= starts[p + 1])
            ++p;
          if (p >= count)
            break;
          block.period[i] = static_cast<int32_t>(p);
        }
      }
      run_begin = run_end;
    }
  }

  fs::path m_folder;
  Manifest m_manifest;
  TimeZone m_zone;
  std::optional<Dictionary> m_dictionaries[dictionary_count];
  std::vector<Filter> m_filters;
  bool m_impossible = false;
};

// Groups of --group-by, in the order they are met; sorted by label at the end.
class Groups {
 public:
  Groups(Engine& engine, std::optional<Dimension> dimension) : m_engine(engine) {
    if (dimension)
      m_column = col_first_dimension + static_cast<uint32_t>(*dimension);
  }
  std::optional<uint32_t> column() const { return m_column; }
  bool grouped() const { return m_column.has_value(); }
  size_t count() const { return m_column ? m_ids.size() : 1; }
  // The group index of a dictionary id (always 0 without group-by).
  size_t index(const Block& block, size_t i) {
    if (!m_column)
      return 0;
    uint32_t id = block.group[i];
    if (id >= m_index.size())
      m_index.resize(id + 1, -1);
    if (m_index[id] < 0) {
      if (m_ids.size() >= max_groups)
        throw usage_error("group-by " +
                              std::string(dimension_name(
                                  static_cast<Dimension>(*m_column - col_first_dimension))) +
                              " has more than " + std::to_string(max_groups) +
                              " values in the range; narrow it with where filters",
                          "group-by");
      m_index[id] = static_cast<int32_t>(m_ids.size());
      m_ids.push_back(id);
    }
    return static_cast<size_t>(m_index[id]);
  }
  std::string label(size_t group) {
    if (!m_column)
      return "";
    const std::string& value = m_engine.dictionary(*m_column).value(m_ids[group]);
    return value.empty() ? "(none)" : value;
  }
  // Group indexes in label order.
  std::vector<size_t> order() {
    std::vector<size_t> order(count());
    for (size_t g = 0; g < order.size(); ++g)
      order[g] = g;
    if (m_column) {
      std::vector<std::string> labels;
      for (size_t g = 0; g < order.size(); ++g)
        labels.push_back(label(g));
      std::sort(order.begin(), order.end(),
                [&](size_t a, size_t b) { return natural_less(labels[a], labels[b]); });
    }
    return order;
  }

 private:
  Engine& m_engine;
  std::optional<uint32_t> m_column;
  std::vector<int32_t> m_index;
  std::vector<uint32_t> m_ids;
};

// Per group and period: a count, and bitsets of devices when distinct devices are counted.
class Cells {
 public:
  Cells(size_t periods, size_t devices) : m_periods(periods), m_devices(devices) {}
  void ensure(size_t groups) {
    while (m_counts.size() < groups) {
      m_counts.emplace_back(m_periods, 0);
      m_sets.emplace_back(m_periods);
      m_marks.emplace_back(m_periods);
    }
  }
  uint64_t& count(size_t g, size_t p) { return m_counts[g][p]; }
  Bitset& devices(size_t g, size_t p) { return slot(m_sets[g][p]); }
  Bitset& marks(size_t g, size_t p) { return slot(m_marks[g][p]); }
  bool has_devices(size_t g, size_t p) const { return !m_sets[g][p].empty(); }
  bool has_marks(size_t g, size_t p) const { return !m_marks[g][p].empty(); }

 private:
  Bitset& slot(Bitset& set) {
    if (set.empty()) {
      m_bytes += (m_devices + 63) / 64 * 8;
      if (m_bytes > max_bitset_bytes)
        throw usage_error(
            "the query needs more than 2 GiB of memory; use a longer interval, "
            "a shorter range or fewer groups",
            "interval");
      set = Bitset(std::max<size_t>(m_devices, 1));
    }
    return set;
  }
  size_t m_periods, m_devices;
  uint64_t m_bytes = 0;
  std::vector<std::vector<uint64_t>> m_counts;
  std::vector<std::vector<Bitset>> m_sets, m_marks;
};

QueryResult series_result(const QueryRequest& request, const Periods& periods, Groups& groups,
                          Cells& cells, bool rate) {
  QueryResult result;
  result.request = request;
  result.rate = rate;
  result.periods = periods.labels;
  cells.ensure(groups.count());
  for (size_t g : groups.order()) {
    Series series;
    if (groups.grouped())
      series.group = groups.label(g);
    for (size_t p = 0; p < periods.size(); ++p) {
      switch (request.metric) {
        case Metric::active_devices:
          series.values.push_back(
              cells.has_devices(g, p) ? static_cast<double>(cells.devices(g, p).count()) : 0.0);
          break;
        case Metric::crash_free: {
          uint64_t active = cells.has_devices(g, p) ? cells.devices(g, p).count() : 0;
          uint64_t fine = !cells.has_devices(g, p) ? 0
                          : cells.has_marks(g, p)
                              ? cells.devices(g, p).count_without(cells.marks(g, p))
                              : active;
          series.values.push_back(active == 0 ? std::nullopt
                                              : std::optional<double>(static_cast<double>(fine) /
                                                                      static_cast<double>(active)));
          break;
        }
        case Metric::event:
          series.values.push_back(static_cast<double>(cells.count(g, p)));
          series.devices.push_back(cells.has_devices(g, p) ? cells.devices(g, p).count() : 0);
          break;
        default:
          series.values.push_back(static_cast<double>(cells.count(g, p)));
          break;
      }
    }
    result.series.push_back(std::move(series));
  }
  return result;
}

QueryResult series_query(Engine& engine, const QueryRequest& request, const Periods& periods) {
  Groups groups(engine, request.group_by);
  Cells cells(periods.size(), engine.devices());
  const auto metric = request.metric;
  int64_t target = -1, crash = -1;
  if (metric == Metric::launches)
    target = engine.id_of(col_event, "launch");
  if (metric == Metric::crashes)
    target = engine.id_of(col_event, "crash");
  if (metric == Metric::event)
    target = engine.id_of(col_event, request.event);
  if (metric == Metric::crash_free)
    crash = engine.id_of(col_event, "crash");
  bool counts_only = metric == Metric::launches || metric == Metric::crashes;
  if (counts_only && target < 0) {
    cells.ensure(groups.count());
    return series_result(request, periods, groups, cells, false);
  }
  if (counts_only && !request.group_by && request.where.empty() &&
      engine.hourly_counts(periods, static_cast<uint32_t>(target), cells))
    return series_result(request, periods, groups, cells, false);
  if (metric == Metric::new_devices) {
    const auto& first_seen = engine.manifest().first_seen;
    if (!request.group_by && request.where.empty()) {
      // Straight from the first-seen times the manifest keeps.
      cells.ensure(1);
      for (int64_t seen : first_seen) {
        int p = periods.index_of(seen);
        if (p >= 0)
          ++cells.count(0, static_cast<size_t>(p));
      }
      return series_result(request, periods, groups, cells, false);
    }
    // The device's first event decides its group and whether it passes the filters.
    std::vector<uint8_t> done(first_seen.size(), 0);
    ScanSpec spec;
    spec.begin = periods.begin();
    spec.end = periods.end();
    spec.periods = &periods;
    spec.device = true;
    spec.group = groups.column();
    engine.scan(spec, [&](const Block& block) {
      for (size_t i = 0; i < block.size(); ++i) {
        if (block.period[i] < 0 || !block.keep[i])
          continue;
        uint32_t device = block.device[i];
        if (done[device] || block.time[i] != first_seen[device])
          continue;
        done[device] = 1;
        size_t g = groups.index(block, i);
        cells.ensure(g + 1);
        ++cells.count(g, static_cast<size_t>(block.period[i]));
      }
    });
    return series_result(request, periods, groups, cells, false);
  }
  ScanSpec spec;
  spec.begin = periods.begin();
  spec.end = periods.end();
  spec.periods = &periods;
  spec.event = metric != Metric::active_devices;
  spec.device = !counts_only;
  spec.group = groups.column();
  // A metric of one event reads only that event's runs; with --group-by every event is read,
  // since every group met in the range is listed (with zeros where the event is missing).
  std::vector<uint8_t> only;
  if (target >= 0 && !request.group_by) {
    only.assign(static_cast<size_t>(target) + 1, 0);
    only[static_cast<size_t>(target)] = 1;
    spec.events = &only;
  }
  engine.scan(spec, [&](const Block& block) {
    const size_t n = block.size();
    for (size_t i = 0; i < n; ++i) {
      if (block.period[i] < 0 || !block.keep[i])
        continue;
      size_t p = static_cast<size_t>(block.period[i]);
      size_t g = groups.index(block, i);
      cells.ensure(g + 1);
      switch (metric) {
        case Metric::active_devices:
          cells.devices(g, p).set(block.device[i]);
          break;
        case Metric::crash_free:
          cells.devices(g, p).set(block.device[i]);
          if (static_cast<int64_t>(block.event[i]) == crash)
            cells.marks(g, p).set(block.device[i]);
          break;
        case Metric::event:
          if (static_cast<int64_t>(block.event[i]) == target) {
            ++cells.count(g, p);
            cells.devices(g, p).set(block.device[i]);
          }
          break;
        default:
          if (static_cast<int64_t>(block.event[i]) == target)
            ++cells.count(g, p);
          break;
      }
    }
  });
  return series_result(request, periods, groups, cells, metric == Metric::crash_free);
}

QueryResult retention_query(Engine& engine, const QueryRequest& request, const Periods& periods) {
  const auto& first_seen = engine.manifest().first_seen;
  const size_t devices = first_seen.size();
  const size_t np = periods.size();
  if (np > max_retention_periods)
    throw usage_error("retention shows at most " + std::to_string(max_retention_periods) +
                          " periods; use a longer interval or a shorter range",
                      "interval");
  if (static_cast<double>(devices) * static_cast<double>(np) / 8 > double(max_bitset_bytes))
    throw usage_error(
        "the query needs more than 2 GiB of memory; use a longer interval or a "
        "shorter range",
        "interval");
  std::vector<int32_t> cohort(devices, -1);
  bool filtered = !request.where.empty();
  if (!filtered) {
    for (size_t d = 0; d < devices; ++d)
      cohort[d] = periods.index_of(first_seen[d]);
  }
  Bitset active(devices * np);
  ScanSpec spec;
  spec.begin = periods.begin();
  spec.end = periods.end();
  spec.periods = &periods;
  spec.device = true;
  engine.scan(spec, [&](const Block& block) {
    for (size_t i = 0; i < block.size(); ++i) {
      if (block.period[i] < 0 || !block.keep[i])
        continue;
      uint32_t device = block.device[i];
      active.set(size_t(device) * np + static_cast<size_t>(block.period[i]));
      if (filtered && block.time[i] == first_seen[device])
        cohort[device] = block.period[i];
    }
  });
  std::vector<uint64_t> sizes(np, 0);
  std::vector<std::vector<uint64_t>> kept(np);  // kept[c][k]: cohort c active k periods later
  for (size_t c = 0; c < np; ++c)
    kept[c].assign(np - c, 0);
  for (size_t d = 0; d < devices; ++d) {
    if (cohort[d] < 0)
      continue;
    size_t c = static_cast<size_t>(cohort[d]);
    ++sizes[c];
    for (size_t later = c + 1; later < np; ++later) {
      if (active.test(d * np + later))
        ++kept[c][later - c];
    }
  }
  QueryResult result;
  result.request = request;
  result.rate = true;
  result.periods = periods.labels;
  for (size_t c = 0; c < np; ++c) {
    Cohort row;
    row.period = periods.labels[c];
    row.devices = sizes[c];
    for (size_t k = 1; k < np; ++k) {
      if (c + k >= np || sizes[c] == 0)
        row.retained.push_back(std::nullopt);
      else
        row.retained.push_back(static_cast<double>(kept[c][k]) / static_cast<double>(sizes[c]));
    }
    result.cohorts.push_back(std::move(row));
  }
  return result;
}

// The distinct event names of a funnel's steps, in the order of their first step, with the
// steps each stands for (a name may be several steps: `page_view page_view`).
struct FunnelNames {
  std::vector<int64_t> ids;     // dictionary id, -1 when never seen
  std::vector<uint32_t> steps;  // bit s: the name is step s
};

FunnelNames funnel_names(Engine& engine, const std::vector<std::string>& steps) {
  FunnelNames names;
  std::vector<std::string> seen;
  for (size_t s = 0; s < steps.size(); ++s) {
    size_t j = static_cast<size_t>(std::find(seen.begin(), seen.end(), steps[s]) - seen.begin());
    if (j == seen.size()) {
      seen.push_back(steps[s]);
      names.ids.push_back(engine.id_of(col_event, steps[s]));
      names.steps.push_back(0);
    }
    names.steps[j] |= 1u << s;
  }
  return names;
}

// Step events as (time - begin) << 4 | name, with their device: sorted by key, they are in
// time order, events of the same millisecond in the order of the steps.
struct Hit {
  uint64_t key;
  uint32_t device;
};

// The step events of one segment, as runs each sorted by time, merged into one.
// Merges go through a second buffer kept for the whole query (no temporary buffers: fresh
// memory costs a fault per page).
struct SegmentHits {
  Values<Hit> hits, spare;
  std::vector<size_t> run_ends;
  void close_run() {
    if (run_ends.empty() ? !hits.empty() : run_ends.back() != hits.size())
      run_ends.push_back(hits.size());
  }
  // Merges neighbouring runs, pairwise, until one is left.
  void merge() {
    auto by_key = [](const Hit& a, const Hit& b) { return a.key < b.key; };
    while (run_ends.size() > 1) {
      std::vector<size_t> merged;
      spare.resize(hits.size());
      size_t begin = 0;
      for (size_t r = 0; r < run_ends.size(); r += 2) {
        size_t middle = run_ends[r];
        size_t end = r + 1 < run_ends.size() ? run_ends[r + 1] : middle;
        std::merge(hits.begin() + static_cast<std::ptrdiff_t>(begin),
                   hits.begin() + static_cast<std::ptrdiff_t>(middle),
                   hits.begin() + static_cast<std::ptrdiff_t>(middle),
                   hits.begin() + static_cast<std::ptrdiff_t>(end),
                   spare.begin() + static_cast<std::ptrdiff_t>(begin), by_key);
        merged.push_back(end);
        begin = end;
      }
      hits.swap(spare);
      run_ends = std::move(merged);
    }
  }
  // Merges the sorted hits of `other` into these (sorted too).
  void merge_from(SegmentHits& other) {
    auto by_key = [](const Hit& a, const Hit& b) { return a.key < b.key; };
    spare.resize(hits.size() + other.hits.size());
    std::merge(hits.begin(), hits.end(), other.hits.begin(), other.hits.end(), spare.begin(),
               by_key);
    hits.swap(spare);
  }
  void clear() {
    hits.clear();
    run_ends.clear();
  }
};

// Every device's attempts (docs/analytics.md), fed the step events in time order: a state of
// a few bytes per device, each event looked at once.
class FunnelMachine {
 public:
  FunnelMachine(const FunnelNames& names, size_t steps, size_t devices, int64_t begin, int64_t end,
                int64_t window)
      : m_names(names),
        m_steps(steps),
        m_begin(begin),
        m_end(end),
        m_window(window),
        m_progress(devices, 0),
        m_best(devices, 0),
        m_started(devices, 0) {}

  void feed(const Hit& hit) {
    uint32_t d = hit.device;
    int64_t time = m_begin + static_cast<int64_t>(hit.key >> 4);
    uint32_t mask = m_names.steps[hit.key & 15];
    uint8_t at = m_progress[d];
    bool within = at > 0 && time - m_started[d] <= m_window;
    if (within && at < m_steps && (mask >> at) & 1) {
      m_progress[d] = static_cast<uint8_t>(at + 1);
      m_best[d] = std::max(m_best[d], m_progress[d]);
    } else if ((mask & 1) && time < m_end && (at == 0 || !within)) {
      // A first step starts an attempt; one that is still open keeps its earlier start.
      m_progress[d] = 1;
      m_started[d] = time;
      m_best[d] = std::max<uint8_t>(m_best[d], 1);
    }
  }
  const std::vector<uint8_t>& best() const { return m_best; }

 private:
  const FunnelNames& m_names;
  size_t m_steps;
  int64_t m_begin, m_end, m_window;
  std::vector<uint8_t> m_progress, m_best;
  std::vector<int64_t> m_started;
};

// Only the runs of the steps' events are read. Each segment's step events are merged by
// time; segments overlap only where events came late, so the events of all segments are
// merged as a stream: an event is fed to the machine once no segment still to come can hold
// an earlier one (the manifest gives each segment's earliest time), which keeps about one
// segment's events in memory, not the range's.
QueryResult funnel_query(Engine& engine, const QueryRequest& request, const Periods& periods) {
  const size_t steps = request.steps.size();
  const FunnelNames names = funnel_names(engine, request.steps);
  const size_t devices = engine.devices();
  const int64_t begin = periods.begin(), end = periods.end();
  const int64_t last = end + request.window_ms;
  FunnelMachine machine(names, steps, devices, begin, end, request.window_ms);
  int64_t largest = *std::max_element(names.ids.begin(), names.ids.end());
  if (largest >= 0) {
    std::vector<uint8_t> wanted(static_cast<size_t>(largest) + 1, 0);
    std::vector<uint8_t> name_of(static_cast<size_t>(largest) + 1, 0);
    for (size_t j = 0; j < names.ids.size(); ++j) {
      if (names.ids[j] >= 0) {
        wanted[static_cast<size_t>(names.ids[j])] = 1;
        name_of[static_cast<size_t>(names.ids[j])] = static_cast<uint8_t>(j);
      }
    }
    // The earliest time of the segments after each one (that the scan reads).
    const auto& segments = engine.manifest().segments;
    std::vector<int64_t> later(segments.size() + 1, INT64_MAX);
    for (size_t i = segments.size(); i-- > 0;) {
      bool read =
          segments[i].max_time >= begin && segments[i].min_time < last && segments[i].events > 0;
      later[i] = std::min(later[i + 1], read ? segments[i].min_time : INT64_MAX);
    }
    SegmentHits segment, pending;  // pending: merged, not yet fed
    size_t current = SIZE_MAX;
    auto finish_segment = [&] {
      if (current == SIZE_MAX)
        return;
      segment.merge();
      pending.merge_from(segment);
      segment.clear();
      // Everything before the next segments' earliest time is final.
      int64_t safe = later[current + 1];
      size_t fed = 0;
      for (; fed < pending.hits.size(); ++fed) {
        int64_t time = begin + static_cast<int64_t>(pending.hits[fed].key >> 4);
        if (time >= safe)
          break;
        machine.feed(pending.hits[fed]);
      }
      pending.hits.erase(pending.hits.begin(),
                         pending.hits.begin() + static_cast<std::ptrdiff_t>(fed));
    };
    ScanSpec spec;
    spec.begin = begin;
    spec.end = last;
    spec.device = spec.event = true;
    spec.events = &wanted;
    engine.scan(spec, [&](const Block& block) {
      if (block.segment != current) {
        finish_segment();
        current = block.segment;
      }
      size_t run_begin = 0;
      for (size_t run_end : block.run_ends) {
        for (size_t i = run_begin; i < run_end; ++i) {
          int64_t time = block.time[i];
          if (!block.keep[i] || time < begin || time >= last)
            continue;
          uint64_t key = static_cast<uint64_t>(time - begin) << 4 | name_of[block.event[i]];
          segment.hits.push_back(Hit{key, block.device[i]});
        }
        segment.close_run();
        run_begin = run_end;
      }
    });
    finish_segment();
    for (const Hit& hit : pending.hits)
      machine.feed(hit);
  }
  const std::vector<uint8_t>& best = machine.best();
  std::vector<uint64_t> reached(steps, 0);
  for (size_t d = 0; d < devices; ++d) {
    for (size_t s = 0; s < best[d]; ++s)
      ++reached[s];
  }
  QueryResult result;
  result.request = request;
  result.rate = true;
  for (size_t s = 0; s < steps; ++s) {
    FunnelStep step;
    step.event = request.steps[s];
    step.devices = reached[s];
    step.conversion =
        reached[0] ? static_cast<double>(reached[s]) / static_cast<double>(reached[0]) : 0;
    step.from_previous = s == 0 ? (reached[0] ? 1.0 : 0.0)
                                : (reached[s - 1] ? static_cast<double>(reached[s]) /
                                                        static_cast<double>(reached[s - 1])
                                                  : 0);
    result.funnel.push_back(step);
  }
  return result;
}

}  // namespace

QueryResult query(const fs::path& folder, const QueryRequest& request) {
  check_query(request);
  Engine engine(folder, request.tz);
  Periods periods = make_periods(request.from_day, request.to_day, request.interval, engine.zone());
  engine.set_filters(request.where);
  switch (request.metric) {
    case Metric::retention:
      return retention_query(engine, request, periods);
    case Metric::funnel:
      return funnel_query(engine, request, periods);
    default:
      return series_query(engine, request, periods);
  }
}

CompareResult compare(const fs::path& folder, const CompareRequest& request) {
  if (request.version_a == request.version_b)
    throw usage_error("compare needs two different versions", "version");
  if (request.to_day < request.from_day)
    throw usage_error("the range ends before it starts", "to");
  Engine engine(folder, request.tz);
  Periods days = make_periods(request.from_day, request.to_day, Interval::day, engine.zone());
  const size_t devices = engine.devices();
  const size_t np = days.size();
  if (static_cast<double>(devices) * static_cast<double>(np) / 8 > double(max_bitset_bytes))
    throw usage_error("the comparison needs more than 2 GiB of memory; use a shorter range", "to");
  int64_t version_ids[2] = {
      engine.id_of(col_first_dimension + uint32_t(Dimension::app_version), request.version_a),
      engine.id_of(col_first_dimension + uint32_t(Dimension::app_version), request.version_b)};
  int64_t launch = engine.id_of(col_event, "launch");
  int64_t crash = engine.id_of(col_event, "crash");
  std::vector<uint8_t> flags(devices, 0);  // bit 0/1: active on A/B, bit 2/3: crashed on A/B
  std::vector<uint32_t> launches[2] = {std::vector<uint32_t>(devices, 0),
                                       std::vector<uint32_t>(devices, 0)};
  std::vector<int64_t> first_use[2] = {std::vector<int64_t>(devices, INT64_MAX),
                                       std::vector<int64_t>(devices, INT64_MAX)};
  Bitset active(devices * np);
  // Every event up to the range's end: a version's first use may come before the range.
  ScanSpec spec;
  spec.end = days.end();
  spec.periods = &days;
  spec.device = spec.event = true;
  spec.group = col_first_dimension + uint32_t(Dimension::app_version);
  engine.scan(spec, [&](const Block& block) {
    for (size_t i = 0; i < block.size(); ++i) {
      if (!block.keep[i])
        continue;
      uint32_t d = block.device[i];
      int32_t p = block.period[i];
      if (p >= 0)
        active.set(size_t(d) * np + static_cast<size_t>(p));
      for (int v = 0; v < 2; ++v) {
        if (version_ids[v] < 0 || block.group[i] != static_cast<uint32_t>(version_ids[v]))
          continue;
        first_use[v][d] = std::min(first_use[v][d], block.time[i]);
        if (p < 0)
          continue;
        flags[d] |= static_cast<uint8_t>(1 << v);
        if (static_cast<int64_t>(block.event[i]) == crash)
          flags[d] |= static_cast<uint8_t>(4 << v);
        if (static_cast<int64_t>(block.event[i]) == launch)
          ++launches[v][d];
      }
    }
  });
  uint64_t active_count[2] = {0, 0}, fine[2] = {0, 0};
  double sum[2] = {0, 0}, sum_squares[2] = {0, 0};
  for (size_t d = 0; d < devices; ++d) {
    for (int v = 0; v < 2; ++v) {
      if (!(flags[d] & (1 << v)))
        continue;
      ++active_count[v];
      if (!(flags[d] & (4 << v)))
        ++fine[v];
      double x = launches[v][d];
      sum[v] += x;
      sum_squares[v] += x * x;
    }
  }
  auto mean = [&](int v) { return active_count[v] ? sum[v] / double(active_count[v]) : 0.0; };
  auto variance = [&](int v) {
    double n = double(active_count[v]);
    if (n < 2)
      return 0.0;
    return (sum_squares[v] - sum[v] * sum[v] / n) / (n - 1);
  };
  CompareResult result;
  result.request = request;
  result.metrics.push_back(
      compare_proportions("crash-free", fine[0], active_count[0], fine[1], active_count[1]));
  result.metrics.push_back(compare_means("launches per device", mean(0), variance(0),
                                         active_count[0], mean(1), variance(1), active_count[1]));
  for (size_t day : {size_t(1), size_t(7)}) {
    uint64_t cohort[2] = {0, 0}, kept[2] = {0, 0};
    for (size_t d = 0; d < devices; ++d) {
      for (int v = 0; v < 2; ++v) {
        int c = days.index_of(first_use[v][d]);
        if (c < 0 || size_t(c) + day >= np)
          continue;
        ++cohort[v];
        if (active.test(d * np + size_t(c) + day))
          ++kept[v];
      }
    }
    result.metrics.push_back(compare_proportions("day-" + std::to_string(day) + " retention",
                                                 kept[0], cohort[0], kept[1], cohort[1]));
  }
  result.verdict = crash_verdict(request.version_a, request.version_b, result.metrics[0]);
  return result;
}

}  // namespace mpaas::platform::local::analytics_store
