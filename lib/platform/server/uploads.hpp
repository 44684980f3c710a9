// The tus 1.0 upload store of `mpaas serve` (docs/api.md, "Uploads"): one data file and one
// small metadata file per upload in the uploads folder. A PATCH appends at the offset the
// store holds, under an flock of the upload, and is undone (truncated back) when its
// checksum does not match; an upload past its expiry is removed by the next creation or by
// sweep(). Every name comes from the store (random ids), never from a request.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "mpaas/core/clock.hpp"
#include "mpaas/core/sha256.hpp"

namespace mpaas::platform::server {

struct UploadInfo {
  std::string id;  // "up_" + 16 base32 characters
  uint64_t length = 0;
  uint64_t offset = 0;
  int64_t expires_at = 0;  // seconds since the epoch
  std::string file_name;   // from Upload-Metadata "filename", may be empty
  std::string sha256;      // from Upload-Metadata "sha256" (hex), may be empty
  bool complete() const { return offset == length; }
};

class UploadStore {
 public:
  UploadStore(std::filesystem::path folder, uint64_t max_length, int64_t expiry_seconds,
              const Clock& clock);

  UploadInfo create(uint64_t length, const std::string& file_name, const std::string& sha256);
  UploadInfo info(const std::string& id);
  // One PATCH: bytes are appended at `offset`, which must be the current one (conflict
  // otherwise), as they arrive. Bytes received before a dropped connection are kept (that
  // is what a client resumes from); a checksum mismatch at the end undoes the whole append.
  class Append {
   public:
    Append(UploadStore& store, const std::string& id, uint64_t offset);
    ~Append();
    Append(const Append&) = delete;
    Append& operator=(const Append&) = delete;
    void write(const char* data, size_t size);
    // `checksum_sha256`: the raw 32-byte digest the client sent for this body, if any.
    UploadInfo finish(const std::optional<std::string>& checksum_sha256);
    // The body stopped arriving (the client went away). Without a checksum what arrived
    // stays, for the client to resume from (tus core); with one it cannot be verified, so
    // the upload goes back to where this PATCH started (tus checksum extension).
    void cut_off(bool had_checksum);

   private:
    void start_writeback();
    // Puts the upload back where this PATCH started: none of its body is kept.
    void discard_body();

    UploadStore& m_store;
    UploadInfo m_info;
    int m_fd = -1;
    uint64_t m_start = 0;
    uint64_t m_written_back = 0;  // writeback started up to here
    Sha256 m_hash;                // of this PATCH's body, for its Upload-Checksum
    // Of the whole upload so far, carried from PATCH to PATCH (null when it was lost to a
    // restart or a refused PATCH: the release then hashes the file).
    std::unique_ptr<Sha256> m_whole;
  };

  void remove(const std::string& id);
  // The sha256 (hex) of a complete upload as its PATCHes were written, when this server
  // saw all of them; empty otherwise.
  std::string sha256_of(const std::string& id);
  // The data file of a complete upload, for the release that consumes it.
  std::filesystem::path data_of(const std::string& id);
  // Removes uploads past their expiry.
  void sweep();

 private:
  std::filesystem::path data_path(const std::string& id) const;
  std::filesystem::path meta_path(const std::string& id) const;
  void write_meta(const UploadInfo& info);
  UploadInfo read_meta(const std::string& id);

  std::filesystem::path m_folder;
  uint64_t m_max_length;
  int64_t m_expiry;
  const Clock& m_clock;
  std::mutex m_mutex;  // creation and sweeping; appends lock their upload's file
  // The running hash of each upload whose every byte this server wrote, with the offset it
  // covers: a release made from it need not read the file again.
  struct Running {
    uint64_t offset = 0;
    std::unique_ptr<Sha256> hash;
  };
  std::mutex m_running_mutex;
  std::map<std::string, Running> m_running;
  std::unique_ptr<Sha256> take_running(const std::string& id, uint64_t offset);
  void keep_running(const std::string& id, uint64_t offset, std::unique_ptr<Sha256> hash);
  friend class Append;
};

bool is_upload_id(const std::string& text);

}  // namespace mpaas::platform::server
