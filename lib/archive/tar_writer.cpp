// Reproducible GNU tar writer (see tar_writer.hpp).
#include "mpaas/archive/tar_writer.hpp"
#include "mpaas/core/unique_fd.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <unistd.h>

#include <memory>

#include "mpaas/core/error.hpp"

namespace mpaas::archive {

namespace {

la_ssize_t write_to_sink(struct archive*, void* user, const void* buffer, size_t length) {
  try {
    (*static_cast<TarWriter::Sink*>(user))(buffer, length);
  } catch (...) {
    return -1;
  }
  return static_cast<la_ssize_t>(length);
}

}  // namespace

TarWriter::TarWriter(Sink sink, TarOwner owner, std::string label)
    : m_archive(archive_write_new()),
      m_owner(std::move(owner)),
      m_label(std::move(label)),
      m_sink(std::move(sink)) {
  auto* archive = static_cast<struct archive*>(m_archive);
  archive_write_set_format_gnutar(archive);
  if (archive_write_open(archive, &m_sink, nullptr, write_to_sink, nullptr) != ARCHIVE_OK) {
    throw failure("cannot write the tar (" + m_label + ")");
  }
}

TarWriter::~TarWriter() {
  auto* archive = static_cast<struct archive*>(m_archive);
  if (!m_finished)
    archive_write_fail(archive);
  archive_write_free(archive);
}

void TarWriter::write_header(const std::string& path, uint64_t size) {
  auto* archive = static_cast<struct archive*>(m_archive);
  struct archive_entry* entry = archive_entry_new();
  archive_entry_set_pathname(entry, path.c_str());
  archive_entry_set_filetype(entry, AE_IFREG);
  archive_entry_set_perm(entry, m_owner.mode);
  archive_entry_set_size(entry, static_cast<la_int64_t>(size));
  archive_entry_set_uid(entry, m_owner.uid);
  archive_entry_set_gid(entry, m_owner.gid);
  archive_entry_set_uname(entry, m_owner.uname.c_str());
  archive_entry_set_gname(entry, m_owner.gname.c_str());
  archive_entry_set_mtime(entry, m_owner.mtime, 0);
  int status = archive_write_header(archive, entry);
  archive_entry_free(entry);
  if (status != ARCHIVE_OK) {
    throw failure(std::string("cannot add to the tar: ") + archive_error_string(archive) + " (" +
                  path + ")");
  }
}

void TarWriter::write_data(const void* data, size_t size) {
  auto* archive = static_cast<struct archive*>(m_archive);
  if (size > 0 && archive_write_data(archive, data, size) != static_cast<la_ssize_t>(size)) {
    throw failure("cannot write the tar (" + m_label + ")");
  }
}

void TarWriter::add(const std::string& path, std::string_view content) {
  write_header(path, content.size());
  write_data(content.data(), content.size());
}

void TarWriter::add_file(const std::string& path, const std::filesystem::path& file,
                         const std::function<void(uint64_t)>& on_bytes) {
  UniqueFd input = open_read_only(file);
  int fd = input.get();
  uint64_t size = std::filesystem::file_size(file);
  write_header(path, size);
  std::unique_ptr<char[]> buffer(new char[1 << 16]);
  uint64_t remaining = size;
  while (remaining > 0) {
    ssize_t got = ::read(fd, buffer.get(), std::min<uint64_t>(remaining, 1 << 16));
    if (got <= 0)
      throw failure("the file changed while it was read (" + file.string() + ")");
    write_data(buffer.get(), static_cast<size_t>(got));
    remaining -= static_cast<uint64_t>(got);
    if (on_bytes)
      on_bytes(static_cast<uint64_t>(got));
  }
}

void TarWriter::finish() {
  auto* archive = static_cast<struct archive*>(m_archive);
  if (archive_write_close(archive) != ARCHIVE_OK) {
    throw failure("cannot finish the tar (" + m_label + ")");
  }
  m_finished = true;
}

}  // namespace mpaas::archive
