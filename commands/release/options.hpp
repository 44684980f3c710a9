// Options of the `mpaas release` commands (reachable from tests: argv tables parse into them).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace mpaas {

// The time-window gray mode: both or neither.
struct WindowFlags {
  int64_t max_devices = 0;  // 0: not given
  std::string until;        // RFC 3339
};

struct ReleaseUploadOptions {
  std::string file;
  std::string app, platform, version;
  std::string kind;  // empty: offline for an .amr, else native
  std::string min_app_version, max_app_version, notes;
  bool mandatory = false;
  std::string percent = "0";
  std::string whitelist_file;
  std::vector<std::string> rules;
  bool draft = false;
  bool if_absent = false;
  WindowFlags window;
};

struct ReleaseListOptions {
  std::string app;
  std::string state;     // empty: all
  std::string platform;  // empty: all
};

// show, history, pause, resume, finish, rollback, whitelist list: one release.
struct ReleaseRefOptions {
  std::string release;
};

struct ReleaseDownloadOptions {
  std::string release;
  std::string output;
};

struct ReleaseRolloutOptions {
  std::string release;
  std::string percent;  // empty: not given
  WindowFlags window;
};

struct WhitelistEditOptions {
  std::string release;
  std::vector<std::string> devices;
  std::string file;  // one id per line; "-" is stdin
};

struct ReleaseCheckOptions {
  std::string app, platform, device_id;
  std::string app_version, os_version, model, region, network;
  bool count = false;
};

struct ReleaseReachOptions {
  std::string release;
  std::string devices;  // CSV or NDJSON file; "-" is stdin
};

}  // namespace mpaas
