// The blob folder (see blobs.hpp).
#include "blobs.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <vector>

#include "mpaas/core/error.hpp"
#include "mpaas/core/sha256.hpp"
#include "mpaas/core/unique_fd.hpp"
#include "mpaas/platform/platform.hpp"

namespace mpaas::platform::local {
namespace fs = std::filesystem;
namespace {

constexpr size_t chunk = 1 << 20;

void sync_folder(const fs::path& folder) {
  int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return;
  ::fsync(fd);
  ::close(fd);
}

Error io_failure(const std::string& what, const fs::path& path) {
  return failure(what + ": " + std::strerror(errno) + " (" + path.string() + ")", path.string());
}

bool is_hex_sha256(const std::string& name) {
  if (name.size() != 64)
    return false;
  for (char c : name) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
      return false;
  }
  return true;
}

// The sha256 (hex) of what `fd` holds from its current position to its end; `what` names
// the failure ("cannot read back the upload"). Checks stop requests between chunks.
std::string hash_rest_of(int fd, const fs::path& path, const std::string& what,
                         ProgressSink* progress) {
  Sha256 hash;
  std::vector<char> buffer(chunk);
  for (;;) {
    throw_if_stop_requested();
    ssize_t got = ::read(fd, buffer.data(), buffer.size());
    if (got < 0 && errno == EINTR)
      continue;
    if (got < 0)
      throw io_failure(what, path);
    if (got == 0)
      break;
    hash.update(buffer.data(), static_cast<size_t>(got));
    if (progress)
      progress->advance(static_cast<uint64_t>(got));
  }
  return to_hex(hash.finish());
}

}  // namespace

StagedBlob::~StagedBlob() {
  if (!temp.empty()) {
    std::error_code ignored;
    fs::remove(temp, ignored);
  }
  if (fd >= 0)
    ::close(fd);
}

BlobStore::BlobStore(const fs::path& root) : m_blobs(root / "blobs"), m_tmp(root / "tmp") {
  fs::create_directories(m_blobs);
  fs::create_directories(m_tmp);
}

fs::path BlobStore::path_of(const std::string& sha256) const {
  return m_blobs / sha256.substr(0, 2) / sha256;
}

std::unique_ptr<StagedBlob> BlobStore::stage(const fs::path& source, ProgressSink& progress) {
  UniqueFd in(::open(source.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (in.get() < 0) {
    if (errno == ENOENT)
      throw not_found("no such file (" + source.string() + ")", source.string());
    throw io_failure("cannot read the artifact", source);
  }
  struct stat info {};
  if (::fstat(in.get(), &info) != 0 || !S_ISREG(info.st_mode))
    throw invalid_input("the artifact is not a regular file (" + source.string() + ")",
                        source.string());
  ::fcntl(in.get(), F_SETFL, 0);

  auto staged = std::make_unique<StagedBlob>();
  fs::path temp;
  {
    // Shared hold on the temp folder's lock from before the file exists until it is locked:
    // a cleaner (which takes the folder lock exclusively) never sees it unlocked and alive.
    UniqueFd folder_lock = lock_temp_folder(LOCK_SH);
    staged->fd = create_registered_file(m_tmp, "upload-", 0600, temp, staged->cleanup);
    staged->temp = temp;
    // The lock tells a later open that this copy has a live writer.
    ::flock(staged->fd, LOCK_EX);
  }

  Sha256 copied;
  std::vector<char> buffer(chunk);
  progress.start("upload", static_cast<uint64_t>(info.st_size));
  for (;;) {
    throw_if_stop_requested();
    ssize_t got = ::read(in.get(), buffer.data(), buffer.size());
    if (got < 0 && errno == EINTR)
      continue;
    if (got < 0)
      throw io_failure("cannot read the artifact", source);
    if (got == 0)
      break;
    write_all(staged->fd, buffer.data(), static_cast<size_t>(got), temp.string());
    copied.update(buffer.data(), static_cast<size_t>(got));
    staged->size += static_cast<uint64_t>(got);
    progress.advance(static_cast<uint64_t>(got));
  }
  progress.finish();
  if (::fsync(staged->fd) != 0)
    throw io_failure("cannot sync the upload", temp);
  staged->sha256 = to_hex(copied.finish());

  // Read back what reached the disk: the blob is published only when it hashes the same.
  if (::lseek(staged->fd, 0, SEEK_SET) != 0)
    throw io_failure("cannot read back the upload", temp);
  if (hash_rest_of(staged->fd, temp, "cannot read back the upload", nullptr) != staged->sha256)
    throw verification_failed(
        "the stored copy does not match the artifact's sha256 (" + source.string() + ")",
        source.string());
  name_verified(*staged);
  return staged;
}

// The staged copy, read-only, renamed to tmp/<sha256>.blob: verified, about to be published.
void BlobStore::name_verified(StagedBlob& staged) const {
  ::fchmod(staged.fd, 0444);
  auto verified = m_tmp / (staged.sha256 + ".blob");
  auto verified_cleanup = std::make_unique<InterruptCleanup>(verified);
  if (::rename(staged.temp.c_str(), verified.c_str()) != 0)
    throw io_failure("cannot rename the upload", staged.temp);
  staged.temp = verified;
  staged.cleanup = std::move(verified_cleanup);
}

std::unique_ptr<StagedBlob> BlobStore::stage_owned(const fs::path& source,
                                                   const std::string& known_sha256,
                                                   ProgressSink& progress) {
  auto staged = std::make_unique<StagedBlob>();
  {
    UniqueFd folder_lock = lock_temp_folder(LOCK_SH);
    staged->temp = m_tmp / ("upload-" + new_release_id().substr(4) + ".link");
    staged->cleanup = std::make_unique<InterruptCleanup>(staged->temp);
    if (::link(source.c_str(), staged->temp.c_str()) != 0) {
      staged->temp.clear();
      // Another file system, or links not allowed: a copy it is.
      if (errno == EXDEV || errno == EPERM || errno == EMLINK)
        return stage(source, progress);
      if (errno == ENOENT)
        throw not_found("no such file (" + source.string() + ")", source.string());
      throw io_failure("cannot take the artifact", source);
    }
    staged->fd = ::open(staged->temp.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (staged->fd < 0)
      throw io_failure("cannot read the artifact", staged->temp);
    ::flock(staged->fd, LOCK_EX);
  }
  struct stat info {};
  if (::fstat(staged->fd, &info) != 0 || !S_ISREG(info.st_mode))
    throw invalid_input("the artifact is not a regular file (" + source.string() + ")",
                        source.string());
  staged->size = static_cast<uint64_t>(info.st_size);
  if (!known_sha256.empty() && is_hex_sha256(known_sha256)) {
    staged->sha256 = known_sha256;
  } else {
    progress.start("verify", staged->size);
    staged->sha256 = hash_rest_of(staged->fd, staged->temp, "cannot read the artifact", &progress);
    progress.finish();
  }
  // The caller synced what it wrote; this makes the new name and the data durable together.
  if (::fsync(staged->fd) != 0)
    throw io_failure("cannot sync the upload", staged->temp);
  name_verified(*staged);
  return staged;
}

bool BlobStore::publish(const StagedBlob& staged) {
  auto destination = path_of(staged.sha256);
  fs::create_directories(destination.parent_path());
  if (::link(staged.temp.c_str(), destination.c_str()) != 0) {
    if (errno == EEXIST)
      return false;
    throw io_failure("cannot store the blob", destination);
  }
  sync_folder(destination.parent_path());
  return true;
}

void BlobStore::remove_blob(const std::string& sha256) {
  if (!is_hex_sha256(sha256))
    return;
  std::error_code ignored;
  fs::remove(path_of(sha256), ignored);
}

UniqueFd BlobStore::lock_temp_folder(int operation) const {
  // Beside tmp/, not in it: tmp/ holds only uploads.
  fs::path lock_path = m_tmp.parent_path() / "tmp.lock";
  int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    throw io_failure("cannot open the upload lock", lock_path);
  while (::flock(fd, operation) != 0) {
    if (errno != EINTR) {
      ::close(fd);
      throw io_failure("cannot lock the upload folder", lock_path);
    }
  }
  return UniqueFd(fd);
}

// A temp file created after this look is a live upload's, never a stale one; so an empty
// tmp/ needs neither the lock nor a scan (the common case, on every platform start).
bool BlobStore::has_temps() const {
  std::error_code error;
  fs::directory_iterator entries(m_tmp, error);
  return !error && entries != fs::directory_iterator();
}

void BlobStore::clean_stale_temps(const std::function<void(const std::string&)>& forget) {
  if (!has_temps())
    return;
  // Waits for writers between creating and locking their file (they hold it shared).
  UniqueFd folder_lock = lock_temp_folder(LOCK_EX);
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(m_tmp, error)) {
    auto path = entry.path();
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
    if (fd.get() < 0)
      continue;
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0)
      continue;  // a live upload
    auto name = path.filename().string();
    std::string sha256;
    if (name.size() == 69 && name.compare(64, 5, ".blob") == 0 && is_hex_sha256(name.substr(0, 64)))
      sha256 = name.substr(0, 64);
    forget(sha256);
    std::error_code ignored;
    fs::remove(path, ignored);
  }
}

}  // namespace mpaas::platform::local
