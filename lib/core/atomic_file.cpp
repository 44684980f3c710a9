// AtomicFile: temp file + fsync + rename (see atomic_file.hpp).
#include "mpaas/core/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "mpaas/core/error.hpp"

namespace mpaas {
namespace {

std::string errno_text() {
  return std::strerror(errno);
}

void fsync_folder(const std::filesystem::path& folder) {
  int fd = ::open(folder.empty() ? "." : folder.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

}  // namespace

AtomicFile::AtomicFile(std::filesystem::path destination, unsigned mode, Durability durability)
    : m_destination(std::move(destination)), m_mode(mode), m_durability(durability) {
  auto folder = m_destination.parent_path();
  m_fd = create_registered_file(folder, "." + m_destination.filename().string() + ".tmp-", 0600,
                                m_temp_path, m_cleanup);
  if (m_fd < 0) {
    throw failure("cannot create a temporary file beside the output: " + errno_text() + " (" +
                      m_destination.string() + ")",
                  m_destination.string());
  }
}

AtomicFile::~AtomicFile() {
  if (m_fd >= 0) {
    ::close(m_fd);
  }
  if (!m_committed && !m_temp_path.empty()) {
    ::unlink(m_temp_path.c_str());
  }
}

void AtomicFile::write(const void* data, size_t size) {
  const char* cursor = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t written = ::write(m_fd, cursor, size);
    if (written < 0) {
      if (errno == EINTR)
        continue;
      throw failure("cannot write: " + errno_text() + " (" + m_destination.string() + ")");
    }
    cursor += written;
    size -= static_cast<size_t>(written);
    m_bytes_written += static_cast<uint64_t>(written);
  }
}

void AtomicFile::commit() {
  bool synced = m_durability == Durability::synced;
  if (::fchmod(m_fd, m_mode) != 0 || (synced && ::fsync(m_fd) != 0)) {
    throw failure("cannot flush: " + errno_text() + " (" + m_destination.string() + ")");
  }
  ::close(m_fd);
  m_fd = -1;
  if (::rename(m_temp_path.c_str(), m_destination.c_str()) != 0) {
    throw failure("cannot replace the output: " + errno_text() + " (" + m_destination.string() +
                  ")");
  }
  m_committed = true;
  if (synced)
    fsync_folder(m_destination.parent_path());
}

void write_file_atomically(const std::filesystem::path& destination, std::string_view content,
                           unsigned mode) {
  AtomicFile file(destination, mode);
  file.write(content);
  file.commit();
}

std::string read_file(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    throw not_found("no such file (" + path.string() + ")");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw failure("cannot open: " + errno_text() + " (" + path.string() + ")");
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace mpaas
