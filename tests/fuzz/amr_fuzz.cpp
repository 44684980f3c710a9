// libFuzzer target for the .amr reader: any bytes as a package must either read or throw
// mpaas::Error, never crash, hang or allocate without bound. The input goes through a temp
// file, as the commands' packages do (archive::FileSource); amr_layout_fuzz reads from
// memory and drives the zip and tar layers on their own as well.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>

#include "mpaas/core/error.hpp"
#include "mpaas/offline/format.hpp"
#include "mpaas/offline/reader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = "/tmp/amr_fuzz_" + std::to_string(::getpid()) + ".amr";
  if (FILE* file = std::fopen(path.c_str(), "wb")) {
    std::fwrite(data, 1, size, file);
    std::fclose(file);
  } else {
    return 0;
  }
  try {
    auto package = mpaas::offline::read_package(path);
    (void)package.files.size();
  } catch (const mpaas::Error&) {
  }
  std::string text(reinterpret_cast<const char*>(data), size);
  try {
    mpaas::offline::parse_manifest(text);
  } catch (const mpaas::Error&) {
  }
  try {
    mpaas::offline::parse_cert_json(text);
  } catch (const mpaas::Error&) {
  }
  return 0;
}
