// Options of the `offline` commands, one struct per subcommand, reachable from tests
// (argv tables parse command lines into them; see tests/unit/cli/argv_tables_test.cpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "offline/offline.hpp"

namespace mpaas::offline_commands {

struct ApplyOptions {
  std::string base_package;
  std::string incremental_package;
  std::string output;
  std::string key;
};

struct BuildOptions {
  std::string folder;
  std::string output;
  std::string key;
  std::string digest = "sha1";
  bool unsigned_package = false;
  SettingFlags settings;
};

struct ConfigOptions {
  std::vector<std::string> packages;
  std::string output = "h5_json.json";
  std::string base_url;
  bool force = false;
};

struct DiffOptions {
  std::string old_package;
  std::string new_package;
  std::string output;
  std::string key;
};

struct ExtractOptions {
  std::string package;
  std::string folder;
  uint64_t max_size_mib = 4096;
  uint64_t max_ratio = 200;
};

struct InspectOptions {
  std::string package;
  std::string pubkey;
};

struct SignOptions {
  std::string package;
  std::string key;
  std::string digest = "sha1";
};

struct VerifyOptions {
  std::string package;
  std::string pubkey;
};

}  // namespace mpaas::offline_commands
