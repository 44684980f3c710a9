// Implementation of the byte plumbing: mmap, pread and little-endian helpers.
#include "mpaas/delta/byte_io.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "mpaas/core/error.hpp"
#include "mpaas/core/interrupt.hpp"

namespace mpaas::delta {
namespace {

std::string errno_message() {
  return std::strerror(errno);
}

// What a non-regular file is, for the refusal.
std::string file_kind(mode_t mode) {
  if (S_ISFIFO(mode))
    return "a FIFO";
  if (S_ISDIR(mode))
    return "a folder";
  if (S_ISCHR(mode))
    return "a character device";
  if (S_ISBLK(mode))
    return "a block device";
  if (S_ISSOCK(mode))
    return "a socket";
  return "not a regular file";
}

// Opens a regular file for reading. O_NONBLOCK keeps open(2) from waiting for a writer when
// the path is a FIFO; fstat then refuses it. Files are read at random offsets (mmap,
// pread), which only regular files allow.
int open_for_reading(const std::filesystem::path& path, uint64_t& size) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) {
    if (errno == ENOENT)
      throw not_found("no such file (" + path.string() + ")", path.string());
    throw failure("cannot open: " + errno_message() + " (" + path.string() + ")", path.string());
  }
  struct stat status {};
  if (::fstat(fd, &status) != 0) {
    std::string reason = errno_message();
    ::close(fd);
    throw failure("cannot read: " + reason + " (" + path.string() + ")", path.string());
  }
  if (!S_ISREG(status.st_mode)) {
    ::close(fd);
    throw usage_error("not a regular file: " + file_kind(status.st_mode) +
                          " cannot be read at random offsets (" + path.string() + ")",
                      path.string());
  }
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  size = static_cast<uint64_t>(status.st_size);
  return fd;
}

}  // namespace

MappedFile::MappedFile(const std::filesystem::path& path, bool writable, Load load) {
  int fd = open_for_reading(path, m_size);
  if (m_size > 0) {
    int protection = PROT_READ | (writable ? PROT_WRITE : 0);
    // Up to a size that fits in memory at once beside everything else: past it, pages come
    // and go as they are read (a 4 GiB sparse file populated whole would be 4 GiB resident).
    constexpr uint64_t populate_limit = uint64_t{256} << 20;
    bool populate = load == Load::all_now && m_size <= populate_limit;
    int flags = MAP_PRIVATE | (populate ? MAP_POPULATE : 0);
    void* mapped = ::mmap(nullptr, m_size, protection, flags, fd, 0);
    if (mapped == MAP_FAILED) {
      ::close(fd);
      throw failure("cannot map: " + errno_message() + " (" + path.string() + ")");
    }
    m_data = static_cast<uint8_t*>(mapped);
    ::madvise(mapped, m_size, MADV_WILLNEED);
  }
  ::close(fd);
}

void MappedFile::release(uint64_t begin, uint64_t end) {
  uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  begin = (begin + page - 1) / page * page;
  end = std::min(end, m_size) / page * page;
  if (m_data != nullptr && begin < end)
    ::madvise(m_data + begin, end - begin, MADV_DONTNEED);
}

MappedFile::~MappedFile() {
  if (m_data)
    ::munmap(m_data, m_size);
}

void MemoryInput::read_at(uint64_t offset, void* buffer, size_t size) const {
  std::memcpy(buffer, m_data.data() + offset, size);
}

FileInput::FileInput(const std::filesystem::path& path) : m_name(path.string()) {
  m_fd = open_for_reading(path, m_size);
}

FileInput::FileInput(int fd, std::string name) : m_name(std::move(name)) {
  m_fd = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (m_fd < 0)
    throw failure("cannot read: " + errno_message() + " (" + m_name + ")", m_name);
  struct stat status {};
  if (::fstat(m_fd, &status) != 0 || !S_ISREG(status.st_mode)) {
    ::close(m_fd);
    throw failure("cannot read a copy that is not a regular file (" + m_name + ")", m_name);
  }
  m_size = static_cast<uint64_t>(status.st_size);
}

FileInput::~FileInput() {
  if (m_fd >= 0)
    ::close(m_fd);
}

void FileInput::read_at(uint64_t offset, void* buffer, size_t size) const {
  auto* out = static_cast<char*>(buffer);
  while (size > 0) {
    ssize_t got = ::pread(m_fd, out, size, static_cast<off_t>(offset));
    if (got < 0 && errno == EINTR)
      continue;
    if (got < 0)
      throw failure("cannot read: " + errno_message() + " (" + m_name + ")");
    if (got == 0)
      throw invalid_input("patch is truncated (" + m_name + ")");
    out += got;
    offset += static_cast<uint64_t>(got);
    size -= static_cast<size_t>(got);
  }
}

size_t RegionSource::read(uint8_t* buffer, size_t size) {
  uint64_t left = m_end - m_position;
  size_t count = static_cast<size_t>(std::min<uint64_t>(left, size));
  if (count == 0)
    return 0;
  m_input.read_at(m_position, buffer, count);
  m_position += count;
  return count;
}

Sha256Digest sha256_interruptible(const uint8_t* data, uint64_t size) {
  constexpr uint64_t piece = uint64_t{4} << 20;
  Sha256 hash;
  for (uint64_t done = 0; done < size; done += piece) {
    throw_if_stop_requested();
    hash.update(data + done, static_cast<size_t>(std::min(piece, size - done)));
  }
  return hash.finish();
}

void put_u16(std::string& out, uint16_t value) {
  for (int i = 0; i < 2; ++i)
    out.push_back(static_cast<char>(value >> (8 * i)));
}
void put_u32(std::string& out, uint32_t value) {
  for (int i = 0; i < 4; ++i)
    out.push_back(static_cast<char>(value >> (8 * i)));
}
void put_u64(std::string& out, uint64_t value) {
  for (int i = 0; i < 8; ++i)
    out.push_back(static_cast<char>(value >> (8 * i)));
}
uint16_t get_u16(const uint8_t* in) {
  return static_cast<uint16_t>(in[0] | (in[1] << 8));
}
uint32_t get_u32(const uint8_t* in) {
  uint32_t value = 0;
  for (int i = 3; i >= 0; --i)
    value = (value << 8) | in[i];
  return value;
}
uint64_t get_u64(const uint8_t* in) {
  uint64_t value = 0;
  for (int i = 7; i >= 0; --i)
    value = (value << 8) | in[i];
  return value;
}

}  // namespace mpaas::delta
