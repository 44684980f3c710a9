// Builds .amr packages with any tar members a test needs (links, hard links, FIFOs, long
// names, the same name twice), the way a hostile sender would: libarchive writes the tar
// (GNU format, so long names and links survive) and the ZIP envelope around it, with
// Manifest.xml first as mPaaS does. Nothing here checks what it writes.
#pragma once

#include <archive.h>
#include <archive_entry.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace mpaas::test {

struct TarMember {
  enum class Type { file, folder, symlink, hardlink, fifo };
  std::string path;
  Type type = Type::file;
  std::string content;  // files: written `repeat` times
  std::string link;     // symlink target, or the hard link's earlier member
  uint64_t repeat = 1;
};

inline TarMember tar_file(std::string path, std::string content, uint64_t repeat = 1) {
  return {std::move(path), TarMember::Type::file, std::move(content), "", repeat};
}
inline TarMember tar_folder(std::string path) {
  return {std::move(path), TarMember::Type::folder, "", "", 1};
}
inline TarMember tar_symlink(std::string path, std::string target) {
  return {std::move(path), TarMember::Type::symlink, "", std::move(target), 1};
}
inline TarMember tar_hardlink(std::string path, std::string target) {
  return {std::move(path), TarMember::Type::hardlink, "", std::move(target), 1};
}
inline TarMember tar_fifo(std::string path) {
  return {std::move(path), TarMember::Type::fifo, "", "", 1};
}

struct AmrOptions {
  std::string uid = "70000000";
  std::string version = "1.0.0.1";
  std::string base_version;  // set: an incremental package
  bool store = false;        // ZIP entries stored, not deflated (fast big packages)
};

namespace detail {

inline void check_archive(int status, struct archive* archive, const char* what) {
  if (status < ARCHIVE_WARN)
    throw std::runtime_error(std::string(what) + ": " + archive_error_string(archive));
}

inline void write_tar(const std::filesystem::path& tar_path,
                      const std::vector<TarMember>& members) {
  struct archive* tar = archive_write_new();
  archive_write_set_format_gnutar(tar);
  check_archive(archive_write_open_filename(tar, tar_path.c_str()), tar, "tar");
  for (const auto& member : members) {
    struct archive_entry* entry = archive_entry_new();
    archive_entry_set_pathname(entry, member.path.c_str());
    archive_entry_set_perm(entry, 0644);
    archive_entry_set_mtime(entry, 1577836800, 0);
    uint64_t size = 0;
    switch (member.type) {
      case TarMember::Type::file:
        archive_entry_set_filetype(entry, AE_IFREG);
        size = member.content.size() * member.repeat;
        break;
      case TarMember::Type::folder:
        archive_entry_set_filetype(entry, AE_IFDIR);
        archive_entry_set_perm(entry, 0755);
        break;
      case TarMember::Type::symlink:
        archive_entry_set_filetype(entry, AE_IFLNK);
        archive_entry_set_symlink(entry, member.link.c_str());
        break;
      case TarMember::Type::hardlink:
        archive_entry_set_filetype(entry, AE_IFREG);
        archive_entry_set_hardlink(entry, member.link.c_str());
        break;
      case TarMember::Type::fifo:
        archive_entry_set_filetype(entry, AE_IFIFO);
        break;
    }
    archive_entry_set_size(entry, static_cast<la_int64_t>(size));
    check_archive(archive_write_header(tar, entry), tar, member.path.c_str());
    for (uint64_t i = 0; i < member.repeat && !member.content.empty(); ++i)
      archive_write_data(tar, member.content.data(), member.content.size());
    archive_entry_free(entry);
  }
  check_archive(archive_write_close(tar), tar, "tar");
  archive_write_free(tar);
}

inline void add_zip_entry(struct archive* zip, const std::string& name, uint64_t size,
                          const std::function<void()>& write_data) {
  struct archive_entry* entry = archive_entry_new();
  archive_entry_set_pathname(entry, name.c_str());
  archive_entry_set_filetype(entry, AE_IFREG);
  archive_entry_set_perm(entry, 0644);
  archive_entry_set_size(entry, static_cast<la_int64_t>(size));
  archive_entry_set_mtime(entry, 1577836800, 0);
  check_archive(archive_write_header(zip, entry), zip, name.c_str());
  write_data();
  archive_entry_free(entry);
}

}  // namespace detail

inline std::string manifest_text(const AmrOptions& options) {
  return "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<package>\n  <uid>" + options.uid +
         "</uid>\n  <name>x</name>\n  <version>" + options.version + "</version>\n" +
         (options.base_version.empty() ? std::string()
                                       : "  <type>incremental</type>\n  <base_version>" +
                                             options.base_version + "</base_version>\n") +
         "</package>\n";
}

// Writes `amr` holding Manifest.xml and {uid}.tar with `members` in the order given.
inline std::filesystem::path write_amr(const std::filesystem::path& amr,
                                       const std::vector<TarMember>& members,
                                       const AmrOptions& options = {}) {
  std::filesystem::create_directories(amr.parent_path());
  auto tar_path = amr.string() + ".tar-building";
  detail::write_tar(tar_path, members);
  struct archive* zip = archive_write_new();
  archive_write_set_format_zip(zip);
  if (options.store)
    archive_write_zip_set_compression_store(zip);
  detail::check_archive(archive_write_open_filename(zip, amr.c_str()), zip, "zip");
  auto manifest = manifest_text(options);
  detail::add_zip_entry(zip, "Manifest.xml", manifest.size(),
                        [&] { archive_write_data(zip, manifest.data(), manifest.size()); });
  detail::add_zip_entry(zip, options.uid + ".tar", std::filesystem::file_size(tar_path), [&] {
    std::ifstream in(tar_path, std::ios::binary);
    std::vector<char> buffer(1 << 16);
    while (in.read(buffer.data(), static_cast<std::streamsize>(buffer.size())) || in.gcount() > 0)
      archive_write_data(zip, buffer.data(), static_cast<size_t>(in.gcount()));
  });
  detail::check_archive(archive_write_close(zip), zip, "zip");
  archive_write_free(zip);
  std::filesystem::remove(tar_path);
  return amr;
}

}  // namespace mpaas::test
