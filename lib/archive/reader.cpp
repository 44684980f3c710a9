// libarchive-backed streaming reader (see reader.hpp).
#include "mpaas/archive/reader.hpp"

#include <archive.h>
#include <archive_entry.h>

#include <cerrno>
#include <exception>

#include "mpaas/core/error.hpp"

namespace mpaas::archive {
namespace {

constexpr size_t pull_buffer_size = 1 << 16;

int close_source(struct archive*, void*) {
  return ARCHIVE_OK;  // the Reader owns its source
}

[[noreturn]] void throw_archive_error(struct archive* archive, const std::string& label) {
  const char* message = archive_error_string(archive);
  throw invalid_input(
      std::string("malformed archive: ") + (message ? message : "unreadable") + " (" + label + ")",
      label);
}

}  // namespace

struct Reader::PullSource {
  explicit PullSource(Pull source) : pull(std::move(source)) {}
  Pull pull;
  std::unique_ptr<char[]> buffer{new char[pull_buffer_size]};
  std::exception_ptr error;  // what the pull threw, rethrown once libarchive gives up

  static la_ssize_t callback(struct archive* archive, void* user, const void** data) {
    auto* source = static_cast<PullSource*>(user);
    *data = source->buffer.get();
    try {
      return static_cast<la_ssize_t>(source->pull(source->buffer.get(), pull_buffer_size));
    } catch (const Error& error) {
      source->error = std::current_exception();
      archive_set_error(archive, EIO, "%s", error.what());
      return -1;
    }
  }
};

Reader::Reader(void* archive, std::string label) : m_archive(archive), m_label(std::move(label)) {}

std::unique_ptr<Reader> Reader::open_file(const std::filesystem::path& path) {
  if (!std::filesystem::is_regular_file(path))
    throw not_found("no such file (" + path.string() + ")");
  struct archive* archive = archive_read_new();
  archive_read_support_format_zip_seekable(archive);
  archive_read_support_format_tar(archive);
  archive_read_support_format_gnutar(archive);
  std::unique_ptr<Reader> reader(new Reader(archive, path.filename().string()));
  if (archive_read_open_filename(archive, path.c_str(), 1 << 16) != ARCHIVE_OK) {
    throw_archive_error(archive, reader->m_label);
  }
  return reader;
}

std::unique_ptr<Reader> Reader::open_nested(Reader& source, const std::string& label, Tap tap) {
  return open_tar_stream(
      [&source, tap = std::move(tap)](char* buffer, size_t size) {
        size_t got = source.read(buffer, size);
        if (tap)
          tap(buffer, got);
        return got;
      },
      label);
}

std::unique_ptr<Reader> Reader::open_tar_stream(Pull pull, const std::string& label) {
  struct archive* archive = archive_read_new();
  archive_read_support_format_tar(archive);
  archive_read_support_format_gnutar(archive);
  std::unique_ptr<Reader> reader(new Reader(archive, label));
  reader->m_source.reset(new PullSource{std::move(pull)});
  if (archive_read_open(archive, reader->m_source.get(), nullptr, PullSource::callback,
                        close_source) != ARCHIVE_OK) {
    reader->rethrow_source_error();
    throw_archive_error(archive, label);
  }
  return reader;
}

void Reader::rethrow_source_error() {
  // A refusal from the source (a zip structure check, an interrupt) is the real cause of
  // libarchive's failure: report it rather than libarchive's read error.
  if (m_source && m_source->error)
    std::rethrow_exception(m_source->error);
}

uint64_t Reader::consumed() const {
  return static_cast<uint64_t>(archive_filter_bytes(static_cast<struct archive*>(m_archive), 0));
}

Reader::~Reader() {
  archive_read_free(static_cast<struct archive*>(m_archive));
}

bool Reader::next(EntryInfo& info) {
  auto* archive = static_cast<struct archive*>(m_archive);
  struct archive_entry* entry = nullptr;
  int status = archive_read_next_header(archive, &entry);
  if (status == ARCHIVE_EOF)
    return false;
  if (status < ARCHIVE_WARN) {
    rethrow_source_error();
    throw_archive_error(archive, m_label);
  }
  const char* path = archive_entry_pathname(entry);
  info.path = path ? path : "";
  info.size_known = archive_entry_size_is_set(entry) != 0;
  info.size = info.size_known ? static_cast<uint64_t>(archive_entry_size(entry)) : 0;
  info.mode = archive_entry_perm(entry);
  info.link_target.clear();
  const char* hardlink = archive_entry_hardlink(entry);
  if (hardlink != nullptr) {
    info.type = EntryType::hardlink;
    info.link_target = hardlink;
    return true;
  }
  switch (archive_entry_filetype(entry)) {
    case AE_IFREG:
      info.type = EntryType::file;
      break;
    case AE_IFDIR:
      info.type = EntryType::directory;
      break;
    case AE_IFLNK:
      info.type = EntryType::symlink;
      info.link_target = archive_entry_symlink(entry) ? archive_entry_symlink(entry) : "";
      break;
    default:
      info.type = EntryType::other;
      break;
  }
  return true;
}

size_t Reader::read(void* buffer, size_t size) {
  auto* archive = static_cast<struct archive*>(m_archive);
  la_ssize_t got = archive_read_data(archive, buffer, size);
  if (got < 0) {
    rethrow_source_error();
    throw_archive_error(archive, m_label);
  }
  return static_cast<size_t>(got);
}

void Reader::read_all(const std::function<void(const char*, size_t)>& sink) {
  std::unique_ptr<char[]> buffer(new char[pull_buffer_size]);
  while (size_t got = read(buffer.get(), pull_buffer_size))
    sink(buffer.get(), got);
}

}  // namespace mpaas::archive
