// The tus upload store (see uploads.hpp).
#include "uploads.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "mpaas/core/atomic_file.hpp"
#include "mpaas/core/error.hpp"
#include "mpaas/core/output.hpp"
#include "mpaas/platform/platform.hpp"

namespace mpaas::platform::server {
namespace fs = std::filesystem;

namespace {

int64_t seconds_of(const Clock& clock) {
  return std::chrono::duration_cast<std::chrono::seconds>(clock.now().time_since_epoch()).count();
}

Error no_upload(const std::string& id) {
  return not_found("no upload '" + id.substr(0, 40) + "'", "upload");
}

bool is_hex_digest(const std::string& text) {
  if (text.size() != 64)
    return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
      return false;
  }
  return true;
}

}  // namespace

bool is_upload_id(const std::string& text) {
  if (text.size() != 19 || text.compare(0, 3, "up_") != 0)
    return false;
  for (size_t i = 3; i < text.size(); ++i) {
    char c = text[i];
    if (!((c >= 'a' && c <= 'z') || (c >= '2' && c <= '7')))
      return false;
  }
  return true;
}

UploadStore::UploadStore(fs::path folder, uint64_t max_length, int64_t expiry_seconds,
                         const Clock& clock)
    : m_folder(std::move(folder)),
      m_max_length(max_length),
      m_expiry(expiry_seconds),
      m_clock(clock) {
  fs::create_directories(m_folder);
}

fs::path UploadStore::data_path(const std::string& id) const {
  return m_folder / (id + ".part");
}

fs::path UploadStore::meta_path(const std::string& id) const {
  return m_folder / (id + ".json");
}

void UploadStore::write_meta(const UploadInfo& info) {
  Json meta = {{"length", info.length},
               {"expires_at", info.expires_at},
               {"file_name", info.file_name},
               {"sha256", info.sha256}};
  AtomicFile out(meta_path(info.id), 0600, Durability::synced);
  auto text = meta.dump();
  out.write(text.data(), text.size());
  out.commit();
}

UploadInfo UploadStore::read_meta(const std::string& id) {
  if (!is_upload_id(id))
    throw no_upload(id);
  std::ifstream in(meta_path(id));
  if (!in)
    throw no_upload(id);
  auto meta = Json::parse(in, nullptr, false);
  if (meta.is_discarded() || !meta.is_object())
    throw failure("the upload's record is damaged (" + meta_path(id).string() + ")", "upload");
  UploadInfo info;
  info.id = id;
  info.length = meta.value("length", uint64_t{0});
  info.expires_at = meta.value("expires_at", int64_t{0});
  info.file_name = meta.value("file_name", std::string());
  info.sha256 = meta.value("sha256", std::string());
  struct stat status {};
  if (::stat(data_path(id).c_str(), &status) != 0)
    throw no_upload(id);
  info.offset = static_cast<uint64_t>(status.st_size);
  if (info.expires_at != 0 && info.expires_at <= seconds_of(m_clock) && !info.complete())
    throw no_upload(id);
  return info;
}

UploadInfo UploadStore::create(uint64_t length, const std::string& file_name,
                               const std::string& sha256) {
  if (length > m_max_length) {
    throw invalid_input(
        "the upload is larger than this server takes (" + std::to_string(m_max_length) + " bytes)",
        "Upload-Length");
  }
  if (file_name.size() > 255 || file_name.find('/') != std::string::npos ||
      file_name.find('\0') != std::string::npos)
    throw usage_error("invalid file name in Upload-Metadata", "filename");
  if (!sha256.empty() && !is_hex_digest(sha256))
    throw usage_error("invalid sha256 in Upload-Metadata", "sha256");
  sweep();
  UploadInfo info;
  info.id = "up_" + new_release_id().substr(4) + new_release_id().substr(4, 4);
  info.length = length;
  info.expires_at = seconds_of(m_clock) + m_expiry;
  info.file_name = file_name;
  info.sha256 = sha256;
  {
    int fd = ::open(data_path(info.id).c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
      throw failure("cannot create an upload: " + std::string(std::strerror(errno)), "upload");
    ::close(fd);
  }
  write_meta(info);
  return info;
}

UploadInfo UploadStore::info(const std::string& id) {
  return read_meta(id);
}

std::unique_ptr<Sha256> UploadStore::take_running(const std::string& id, uint64_t offset) {
  std::lock_guard lock(m_running_mutex);
  auto found = m_running.find(id);
  std::unique_ptr<Sha256> hash;
  if (found != m_running.end()) {
    if (found->second.offset == offset)
      hash = std::move(found->second.hash);
    m_running.erase(found);
  } else if (offset == 0) {
    hash = std::make_unique<Sha256>();
  }
  return hash;
}

void UploadStore::keep_running(const std::string& id, uint64_t offset,
                               std::unique_ptr<Sha256> hash) {
  if (!hash)
    return;
  std::lock_guard lock(m_running_mutex);
  m_running[id] = Running{offset, std::move(hash)};
}

std::string UploadStore::sha256_of(const std::string& id) {
  auto info = read_meta(id);
  if (!info.complete())
    return "";
  auto hash = take_running(id, info.offset);
  return hash && info.length > 0 ? to_hex(hash->finish()) : "";
}

void UploadStore::remove(const std::string& id) {
  read_meta(id);
  {
    std::lock_guard lock(m_running_mutex);
    m_running.erase(id);
  }
  std::error_code ignored;
  fs::remove(meta_path(id), ignored);
  fs::remove(data_path(id), ignored);
}

fs::path UploadStore::data_of(const std::string& id) {
  auto info = read_meta(id);
  if (!info.complete()) {
    throw conflict("upload '" + id + "' is not complete (" + std::to_string(info.offset) + " of " +
                       std::to_string(info.length) + " bytes)",
                   "upload");
  }
  return data_path(id);
}

void UploadStore::sweep() {
  std::lock_guard lock(m_mutex);
  auto now = seconds_of(m_clock);
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(m_folder, error)) {
    auto name = entry.path().filename().string();
    if (name.size() != 24 || name.compare(19, 5, ".json") != 0)
      continue;
    auto id = name.substr(0, 19);
    if (!is_upload_id(id))
      continue;
    std::ifstream in(entry.path());
    auto meta = Json::parse(in, nullptr, false);
    int64_t expires = meta.is_object() ? meta.value("expires_at", int64_t{0}) : 0;
    if (expires != 0 && expires <= now) {
      std::error_code ignored;
      fs::remove(meta_path(id), ignored);
      fs::remove(data_path(id), ignored);
    }
  }
}

UploadStore::Append::Append(UploadStore& store, const std::string& id, uint64_t offset)
    : m_store(store), m_info(store.read_meta(id)) {
  if (m_info.complete())
    throw conflict("upload '" + id + "' is complete already", "Upload-Offset");
  m_fd = ::open(store.data_path(id).c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
  if (m_fd < 0)
    throw no_upload(id);
  // One PATCH at a time per upload: a second one waits for this to end, then sees the new
  // offset and is refused when it does not match.
  ::flock(m_fd, LOCK_EX);
  struct stat status {};
  ::fstat(m_fd, &status);
  m_info.offset = m_start = static_cast<uint64_t>(status.st_size);
  if (offset != m_start) {
    ::close(m_fd);
    m_fd = -1;
    throw conflict(
        "the upload is at offset " + std::to_string(m_start) + ", not " + std::to_string(offset),
        "Upload-Offset");
  }
  ::lseek(m_fd, static_cast<off_t>(m_start), SEEK_SET);
  m_written_back = m_start;
  m_whole = store.take_running(id, m_start);
}

UploadStore::Append::~Append() {
  if (m_fd >= 0) {
    // A dropped connection: what arrived stays, synced, for the client to resume from.
    ::fdatasync(m_fd);
    ::close(m_fd);
    m_store.keep_running(m_info.id, m_info.offset, std::move(m_whole));
  }
}

void UploadStore::Append::write(const char* data, size_t size) {
  if (m_info.offset + size > m_info.length) {
    discard_body();  // more than the declared length: nothing of this body is kept
    throw invalid_input("the body goes past the upload's length", "Upload-Length");
  }
  while (size > 0) {
    ssize_t wrote = ::write(m_fd, data, size);
    if (wrote < 0 && errno == EINTR)
      continue;
    if (wrote < 0)
      throw failure("cannot store the upload: " + std::string(std::strerror(errno)), "upload");
    m_hash.update(data, static_cast<size_t>(wrote));
    if (m_whole)
      m_whole->update(data, static_cast<size_t>(wrote));
    m_info.offset += static_cast<uint64_t>(wrote);
    start_writeback();
    data += wrote;
    size -= static_cast<size_t>(wrote);
  }
}

// Starts writing what arrived to the disk every few MiB, without waiting: the sync when the
// upload completes then waits for the last few MiB only.
void UploadStore::Append::start_writeback() {
  constexpr uint64_t every = 4u << 20;
  if (m_info.offset - m_written_back < every)
    return;
  ::sync_file_range(m_fd, static_cast<off_t>(m_written_back),
                    static_cast<off_t>(m_info.offset - m_written_back), SYNC_FILE_RANGE_WRITE);
  m_written_back = m_info.offset;
}

void UploadStore::Append::cut_off(bool had_checksum) {
  if (had_checksum)
    discard_body();
  // Otherwise the destructor syncs what arrived and keeps it.
}

void UploadStore::Append::discard_body() {
  if (::ftruncate(m_fd, static_cast<off_t>(m_start)) != 0) {
    // HEAD reports the size the file really has; the client resumes from there.
  }
  m_info.offset = m_start;
  m_whole.reset();  // it took this body's bytes
}

UploadInfo UploadStore::Append::finish(const std::optional<std::string>& checksum_sha256) {
  if (checksum_sha256) {
    auto digest = m_hash.finish();
    if (std::string(digest.begin(), digest.end()) != *checksum_sha256) {
      discard_body();
      throw verification_failed("the body does not match its Upload-Checksum", "Upload-Checksum");
    }
  }
  // Only the last PATCH waits for the disk. An earlier one that a machine crash loses is
  // sent again: the size on disk, which HEAD reports, never counts bytes that did not reach
  // it, and the whole upload's sha256 is checked when a release is made of it. A sync per
  // chunk made the client wait for the disk once per chunk.
  if (m_info.complete())
    ::fdatasync(m_fd);
  ::close(m_fd);
  m_fd = -1;
  m_store.keep_running(m_info.id, m_info.offset, std::move(m_whole));
  return m_info;
}

}  // namespace mpaas::platform::server
