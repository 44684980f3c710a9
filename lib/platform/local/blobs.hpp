// The content-addressed blob folder of the embedded platform (private to local/).
//
//   blobs/ab/ab12...ef   an artifact, named by its sha256, read-only
//   tmp/upload-XXXXXX    an upload being copied (flock held by its writer)
//   tmp/<sha256>.blob    an upload copied, synced and verified, about to be published
//
// An upload is staged in tmp/ under an flock, then hard-linked into blobs/ inside the write
// transaction that inserts its release, and its temp name removed after the commit. A temp
// file nobody holds a lock on belongs to a process that died: the next open removes it, and
// the blob it may have published when no release refers to that blob (clean_stale_temps).
#pragma once

#include "mpaas/core/unique_fd.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "mpaas/core/interrupt.hpp"
#include "mpaas/core/progress.hpp"

namespace mpaas::platform::local {

class StagedBlob {
 public:
  StagedBlob() = default;
  ~StagedBlob();
  StagedBlob(const StagedBlob&) = delete;
  StagedBlob& operator=(const StagedBlob&) = delete;

  std::string sha256;
  uint64_t size = 0;
  std::filesystem::path temp;  // tmp/<sha256>.blob once verified
  int fd = -1;                 // open, flocked
  std::unique_ptr<InterruptCleanup> cleanup;
};

class BlobStore {
 public:
  explicit BlobStore(const std::filesystem::path& root);

  // Copies `source` into tmp/ while hashing it, fsyncs the copy, reads it back to verify the
  // hash, and renames it to tmp/<sha256>.blob. Checks stop requests between chunks.
  std::unique_ptr<StagedBlob> stage(const std::filesystem::path& source, ProgressSink& progress);
  // Stages a file the caller gives away (never written again) by a hard link instead of a
  // copy, hashing it once unless `known_sha256` is given (trusted: the caller computed it
  // while writing the file). Falls back to stage() across file systems.
  std::unique_ptr<StagedBlob> stage_owned(const std::filesystem::path& source,
                                          const std::string& known_sha256, ProgressSink& progress);
  // Links the staged copy to blobs/<sha256> (call inside the write transaction); true when
  // this made the blob (false: an identical one was there already).
  bool publish(const StagedBlob& staged);
  std::filesystem::path path_of(const std::string& sha256) const;
  void remove_blob(const std::string& sha256);

  // Stale temp files (no live writer holds their lock): calls `forget(sha256)` for each
  // verified one (empty sha256 for an unfinished copy) before removing it; `forget` decides
  // about the blob under the store's write lock.
  void clean_stale_temps(const std::function<void(const std::string& sha256)>& forget);

 private:
  bool has_temps() const;
  void name_verified(StagedBlob& staged) const;
  // The lock file beside tmp/ held shared by a writer while it creates and locks its temp
  // file, and exclusively by the cleaner.
  UniqueFd lock_temp_folder(int operation) const;

  std::filesystem::path m_blobs;
  std::filesystem::path m_tmp;
};

}  // namespace mpaas::platform::local
