// `reach`: a device list (CSV with a header, or NDJSON) decided against one release in one
// streaming pass. Lines are bounded, quoting is linear, and nothing per device is kept but
// the ids of the devices reached.
#include <array>

#include "mpaas/core/error.hpp"
#include "mpaas/core/interrupt.hpp"
#include "mpaas/platform/platform.hpp"

namespace mpaas::platform {
namespace {

constexpr size_t max_line = 64 * 1024;

enum class Field { id, app_version, os_version, model, region, network, ignored };

Field field_named(const std::string& name) {
  if (name == "id" || name == "device_id" || name == "device")
    return Field::id;
  if (name == "app_version")
    return Field::app_version;
  if (name == "os_version")
    return Field::os_version;
  if (name == "model")
    return Field::model;
  if (name == "region")
    return Field::region;
  if (name == "network")
    return Field::network;
  return Field::ignored;
}

void assign(Device& device, Field field, std::string value) {
  switch (field) {
    case Field::id:
      device.id = std::move(value);
      break;
    case Field::app_version:
      device.app_version = std::move(value);
      break;
    case Field::os_version:
      device.os_version = std::move(value);
      break;
    case Field::model:
      device.model = std::move(value);
      break;
    case Field::region:
      device.region = std::move(value);
      break;
    case Field::network:
      device.network = std::move(value);
      break;
    case Field::ignored:
      break;
  }
}

// Splits one CSV line (RFC 4180 quoting within the line; "" is a quote).
bool split_csv(const std::string& line, std::vector<std::string>& cells) {
  cells.clear();
  std::string cell;
  bool quoted = false, was_quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        cell += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        cell += c;
      }
    } else if (c == '"' && cell.empty() && !was_quoted) {
      quoted = was_quoted = true;
    } else if (c == ',') {
      cells.push_back(std::move(cell));
      cell.clear();
      was_quoted = false;
    } else if (c != '\r') {
      cell += c;
    }
  }
  cells.push_back(std::move(cell));
  return !quoted;
}

std::string json_text(const Json& value) {
  if (value.is_string())
    return value.get<std::string>();
  if (value.is_null())
    return "";
  return value.dump();
}

class DeviceStream {
 public:
  DeviceStream(std::istream& in, std::string source) : m_in(in), m_source(std::move(source)) {}

  // The next device, false at the end.
  bool next(Device& device) {
    std::string line;
    while (read_line(line)) {
      if (line.find_first_not_of(" \t\r") == std::string::npos)
        continue;
      if (!m_format_known) {
        m_format_known = true;
        m_ndjson = line[line.find_first_not_of(" \t")] == '{';
        if (!m_ndjson) {
          read_header(line);
          continue;
        }
      }
      device = m_ndjson ? parse_json_line(line) : parse_csv_line(line);
      check_device_id(device.id, m_source);
      return true;
    }
    return false;
  }

 private:
  bool read_line(std::string& line) {
    if (!std::getline(m_in, line))
      return false;
    ++m_line;
    if ((m_line & 0x3fff) == 0)
      throw_if_stop_requested();
    if (line.size() > max_line)
      throw bad("line longer than 64 KiB");
    return true;
  }

  Error bad(const std::string& what) const {
    return invalid_input(what + " at line " + std::to_string(m_line) + " (" + m_source + ")",
                         m_source);
  }

  void read_header(const std::string& line) {
    std::vector<std::string> names;
    if (!split_csv(line, names))
      throw bad("unterminated quote");
    bool has_id = false;
    for (const auto& name : names) {
      m_columns.push_back(field_named(name));
      has_id = has_id || m_columns.back() == Field::id;
    }
    if (!has_id)
      throw bad("the CSV header has no id column (id, device_id)");
  }

  Device parse_csv_line(const std::string& line) {
    if (!split_csv(line, m_cells))
      throw bad("unterminated quote");
    if (m_cells.size() != m_columns.size())
      throw bad(std::to_string(m_cells.size()) + " fields where the header has " +
                std::to_string(m_columns.size()));
    Device device;
    for (size_t i = 0; i < m_cells.size(); ++i)
      assign(device, m_columns[i], std::move(m_cells[i]));
    return device;
  }

  Device parse_json_line(const std::string& line) {
    auto value = Json::parse(line, nullptr, false);
    if (value.is_discarded() || !value.is_object())
      throw bad("not a JSON object");
    Device device;
    for (const auto& [key, field] : value.items()) {
      if (!field.is_string() && !field.is_number() && !field.is_null())
        throw bad("field '" + key.substr(0, 40) + "' is not a string");
      assign(device, field_named(key), json_text(field));
    }
    return device;
  }

  std::istream& m_in;
  std::string m_source;
  uint64_t m_line = 0;
  bool m_format_known = false;
  bool m_ndjson = false;
  std::vector<Field> m_columns;
  std::vector<std::string> m_cells;
};

}  // namespace

ReachResult reach(const ReleaseGate& gate, std::istream& devices, const std::string& source_name) {
  ReachResult result;
  result.release = gate.release.id;
  uint32_t free = 0;
  if (gate.release.window) {
    auto taken = static_cast<uint32_t>(gate.counted.size());
    free = gate.release.window->max_devices > taken ? gate.release.window->max_devices - taken : 0;
  }
  DeviceStream stream(devices, source_name);
  Device device;
  // Devices of this list that took a window place: listed twice, a device takes one.
  std::unordered_set<std::string> took;
  while (stream.next(device)) {
    ++result.total;
    bool whitelisted = !gate.whitelist.empty() && gate.whitelist.count(device.id) != 0;
    bool counted = (!gate.counted.empty() && gate.counted.count(device.id) != 0) ||
                   (!took.empty() && took.count(device.id) != 0);
    auto decision =
        decide_now(gate.release, gate.rules, whitelisted, counted, free, gate.now, device);
    if (decision.takes_place) {
      took.insert(device.id);
      --free;
    }
    if (decision.offered) {
      ++result.reached;
      result.devices.push_back(device.id);
    }
  }
  return result;
}

}  // namespace mpaas::platform
