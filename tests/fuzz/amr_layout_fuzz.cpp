// libFuzzer target for the zip and tar layers of the offline reader, in memory: the whole
// package reader (zip structure check, mPaaS envelope, manifest, tar members, what follows
// the tar's end marker, the verdict's consistency checks), then the zip layer alone reading
// every entry to its end, then the input as a bare tar stream. Any bytes must be read or
// refused with mpaas::Error: never a crash, a hang, or memory beyond the caps. Seeds in
// corpus/amr_layout_fuzz/ are small hostile packages from tests/unit/offline/verify_test.cpp
// and tests/unit/archive/zip_reader_test.cpp (hidden local entry, wrong order, no tar, uid
// in a comment, data after the tar, two ids), plus well-formed ones (ZIP64, descriptors).
#include <cstdint>
#include <cstring>
#include <string_view>

#include "mpaas/archive/reader.hpp"
#include "mpaas/archive/zip_reader.hpp"
#include "mpaas/core/error.hpp"
#include "mpaas/offline/reader.hpp"
#include "mpaas/offline/verdict.hpp"

namespace {

void read_whole_package(const std::shared_ptr<mpaas::archive::MemorySource>& source) {
  try {
    auto package = mpaas::offline::read_package(source, "fuzz.amr");
    (void)mpaas::offline::find_mismatches(package);
  } catch (const mpaas::Error&) {
  }
}

void read_zip_entries(const std::shared_ptr<mpaas::archive::MemorySource>& source) {
  try {
    mpaas::archive::ZipArchive zip(source, "fuzz.zip");
    char buffer[1 << 14];
    for (size_t i = 0; i < zip.entries().size(); ++i) {
      auto stream = zip.open(i);
      while (stream->read(buffer, sizeof buffer) > 0) {
      }
    }
  } catch (const mpaas::Error&) {
  }
}

void read_tar(std::string_view bytes) {
  try {
    size_t at = 0;
    auto tar = mpaas::archive::Reader::open_tar_stream(
        [&](char* buffer, size_t size) {
          size_t got = std::min(size, bytes.size() - at);
          std::memcpy(buffer, bytes.data() + at, got);
          at += got;
          return got;
        },
        "fuzz.tar");
    mpaas::archive::EntryInfo member;
    while (tar->next(member))
      tar->read_all([](const char*, size_t) {});
    (void)tar->consumed();
  } catch (const mpaas::Error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto source = std::make_shared<mpaas::archive::MemorySource>(bytes);
  read_whole_package(source);
  read_zip_entries(source);
  read_tar(bytes);
  return 0;
}
