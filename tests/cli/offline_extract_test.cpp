// `mpaas offline extract` refuses hostile packages (exit 3) before writing anything.
#include <archive.h>
#include <archive_entry.h>
#include <catch2/catch.hpp>

#include "process.hpp"
#include "temp_dir.hpp"

using mpaas::test::run_mpaas;
using mpaas::test::run_program;
using mpaas::test::RunOptions;
using mpaas::test::TempDir;
using mpaas::test::write_text;
namespace fs = std::filesystem;

namespace {

struct Member {
  Member(std::string path_, unsigned type_, std::string content_ = "", std::string link_ = "")
      : path(std::move(path_)), type(type_), content(std::move(content_)), link(std::move(link_)) {}
  std::string path;
  unsigned type;
  std::string content;
  std::string link;
};

// Writes folder/70000000.tar with `members` and zips it with a manifest into folder/p.amr.
fs::path make_package(const fs::path& folder, const std::vector<Member>& members) {
  fs::create_directories(folder);
  struct archive* tar = archive_write_new();
  archive_write_set_format_gnutar(tar);
  archive_write_open_filename(tar, (folder / "70000000.tar").c_str());
  for (const auto& member : members) {
    struct archive_entry* entry = archive_entry_new();
    archive_entry_set_pathname(entry, member.path.c_str());
    archive_entry_set_filetype(entry, member.type);
    archive_entry_set_perm(entry, 0644);
    archive_entry_set_size(entry, static_cast<la_int64_t>(member.content.size()));
    if (member.type == AE_IFLNK)
      archive_entry_set_symlink(entry, member.link.c_str());
    archive_write_header(tar, entry);
    archive_write_data(tar, member.content.data(), member.content.size());
    archive_entry_free(entry);
  }
  archive_write_close(tar);
  archive_write_free(tar);
  write_text(folder / "Manifest.xml",
             "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<package>\n  <uid>70000000</uid>\n  "
             "<name>x</name>\n  <version>1.0.0.1</version>\n</package>\n");
  RunOptions in_folder;
  in_folder.cwd = folder;
  run_program("zip", {"-q", "p.amr", "Manifest.xml", "70000000.tar"}, in_folder);
  return folder / "p.amr";
}

}  // namespace

TEST_CASE("offline extract refuses hostile entries before writing anything", "[cli][offline]") {
  TempDir home;
  Member good{"index.html", AE_IFREG, "<html/>"};
  struct Case {
    std::vector<Member> members;
    std::string error;
  };
  std::vector<Case> cases = {
      {{good, {"../evil.sh", AE_IFREG, "x"}}, "refused: path with '..' (../evil.sh)"},
      {{good, {"/tmp/evil.sh", AE_IFREG, "x"}}, "refused: absolute path (/tmp/evil.sh)"},
      {{good, {"link", AE_IFLNK, "", "../../etc"}},
       "refused: symbolic link leaving the folder (link)"},
      {{good, {"abs", AE_IFLNK, "", "/etc/passwd"}},
       "refused: symbolic link leaving the folder (abs)"},
      {{good, {"here", AE_IFLNK, "", "."}, {"here/up", AE_IFLNK, "", ".."}},
       "refused: entry below a symbolic link (here/up)"},
      {{good, {"dev", AE_IFCHR, ""}}, "refused: device, FIFO or socket entry (dev)"},
      {{good, {"fifo", AE_IFIFO, ""}}, "refused: device, FIFO or socket entry (fifo)"},
      {{good, {"big.txt", AE_IFREG, std::string(3 << 20, 'a')}},
       "refused: expands beyond 200 times the package size (big.txt)"},
  };
  int index = 0;
  for (const auto& test : cases) {
    auto package = make_package(home / ("p" + std::to_string(index)), test.members);
    auto out = home / ("out" + std::to_string(index++));
    auto result = run_mpaas({"offline", "extract", package.string(), out.string()}, home.path());
    INFO(test.error);
    CHECK(result.exit_code == 3);
    CHECK(result.err == "mpaas: error: " + test.error + "\n");
    CHECK_FALSE(fs::exists(out));
  }
  auto fine = make_package(home / "ok",
                           {good, {"sub/a.js", AE_IFREG, "1"}, {"l", AE_IFLNK, "", "sub/a.js"}});
  auto result =
      run_mpaas({"offline", "extract", fine.string(), (home / "ok/out").string()}, home.path());
  CHECK(result.exit_code == 0);
  CHECK(fs::is_symlink(home / "ok/out/l"));
  CHECK(mpaas::test::read_text(home / "ok/out/sub/a.js") == "1");
  CHECK(
      run_mpaas({"offline", "extract", (home / "none.amr").string(), "x"}, home.path()).exit_code ==
      5);
}
