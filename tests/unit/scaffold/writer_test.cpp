// ProjectWriter against a hostile or busy target: --force never deletes a user's file (not
// even one named like an old backup), never writes through a symlink, and a signal at any
// point of the write leaves the target as it was.
#include <sys/wait.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <chrono>
#include <csignal>
#include <thread>

#include "mpaas/core/error.hpp"
#include "mpaas/core/interrupt.hpp"
#include "mpaas/scaffold/project.hpp"
#include "temp_dir.hpp"

using namespace mpaas;
using namespace mpaas::scaffold;
using mpaas::test::read_text;
using mpaas::test::TempDir;
using mpaas::test::write_text;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

std::map<std::string, std::string> snapshot(const fs::path& root) {
  std::map<std::string, std::string> entries;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator();
       ++it) {
    std::string relative = fs::relative(it->path(), root).string();
    if (it->is_symlink())
      entries[relative] = "-> " + fs::read_symlink(it->path()).string();
    else if (it->is_regular_file())
      entries[relative] = read_text(it->path());
    else
      entries[relative] = "<folder>";
  }
  return entries;
}

std::vector<PlannedFile> many_files(int count) {
  std::vector<PlannedFile> plan;
  for (int i = 0; i < count; ++i)
    plan.push_back({"d" + std::to_string(i % 10) + "/f" + std::to_string(i), "new", 0644});
  return plan;
}

// Runs `body` in a child process and returns its exit status.
template <class Body>
int exit_status_of_child(Body body) {
  pid_t child = fork();
  if (child == 0) {
    body();
    _exit(0);
  }
  int status = 0;
  waitpid(child, &status, 0);
  REQUIRE(WIFEXITED(status));
  return WEXITSTATUS(status);
}

}  // namespace

TEST_CASE("with force, replaced files are set aside under names no user file can have",
          "[scaffold][writer]") {
  TempDir temp;
  write_text(temp / "p/README.md", "old readme");
  write_text(temp / "p/README.md.mpaas-backup", "the user's own file");
  write_text(temp / "p/docs/a.md", "old a");
  write_text(temp / "p/docs/a.md.mpaas-backup", "also the user's");
  {
    ProjectWriter writer(temp / "p", true);
    writer.write({"README.md", "new readme", 0644});
    writer.write({"docs/a.md", "new a", 0644});
    writer.write({"docs/b.md", "new b", 0644});
    writer.commit();
  }
  CHECK(snapshot(temp / "p") ==
        std::map<std::string, std::string>{{"README.md", "new readme"},
                                           {"README.md.mpaas-backup", "the user's own file"},
                                           {"docs", "<folder>"},
                                           {"docs/a.md", "new a"},
                                           {"docs/a.md.mpaas-backup", "also the user's"},
                                           {"docs/b.md", "new b"}});
}

TEST_CASE("a failed --force write puts every replaced file back", "[scaffold][writer]") {
  TempDir temp;
  write_text(temp / "p/README.md", "old readme");
  write_text(temp / "p/README.md.mpaas-backup", "the user's own file");
  fs::create_directories(temp / "p/z.txt");  // a folder where a file goes
  auto before = snapshot(temp / "p");
  {
    ProjectWriter writer(temp / "p", true);
    writer.write({"README.md", "new readme", 0644});
    CHECK_THROWS_AS(writer.write({"z.txt", "x", 0644}), Error);
  }
  CHECK(snapshot(temp / "p") == before);
}

TEST_CASE("writing never follows a symlink out of the target", "[scaffold][writer]") {
  TempDir temp;
  write_text(temp / "outside/index.html", "not yours");
  fs::create_directories(temp / "p");
  fs::create_directory_symlink(temp / "outside", temp / "p/www");
  fs::create_symlink(temp / "outside/index.html", temp / "p/page.html");
  auto before = snapshot(temp.path());
  {
    ProjectWriter writer(temp / "p", true);
    try {
      writer.write({"www/index.html", "evil", 0644});
      FAIL("wrote through the symlinked folder");
    } catch (const Error& error) {
      CHECK(error.kind() == ErrorKind::conflict);
      CHECK_THAT(error.what(), Catch::Contains("symlink") && Catch::EndsWith("p/www)"));
    }
  }
  CHECK(snapshot(temp.path()) == before);

  // A symlink where the template puts a file is replaced by the file, its target untouched.
  {
    ProjectWriter writer(temp / "p", true);
    writer.write({"page.html", "the template's page", 0644});
    writer.commit();
  }
  CHECK_FALSE(fs::is_symlink(temp / "p/page.html"));
  CHECK(read_text(temp / "p/page.html") == "the template's page");
  CHECK(read_text(temp / "outside/index.html") == "not yours");
}

TEST_CASE("a new project appears whole, in one rename", "[scaffold][writer]") {
  TempDir temp;
  {
    ProjectWriter writer(temp / "a/b/project", false);
    CHECK(writer.staging().parent_path() == temp / "a/b");
    for (const auto& file : many_files(30))
      writer.write(file);
    CHECK_FALSE(fs::exists(temp / "a/b/project"));
    writer.commit();
  }
  CHECK(snapshot(temp / "a/b/project").size() == 40);
  CHECK(snapshot(temp.path()).size() == 43);  // a, a/b, a/b/project and its content
}

TEST_CASE("a signal while writing a new project leaves nothing", "[scaffold][writer]") {
  int signal_number = GENERATE(SIGINT, SIGTERM, SIGHUP);
  bool into_existing = GENERATE(false, true);
  TempDir temp;
  if (into_existing)
    write_text(temp / "p/d3/f3", "the user's file");
  auto before = snapshot(temp.path());
  int status = exit_status_of_child([&] {
    install_interrupt_handler(30s);
    try {
      ProjectWriter writer(temp / (into_existing ? "p" : "new/p"), true);
      int written = 0;
      for (const auto& file : many_files(500)) {
        if (++written == 250)
          ::raise(signal_number);
        writer.write(file);
      }
      writer.commit();
    } catch (const Error& error) {
      _exit(error.kind() == ErrorKind::interrupted ? 130 : 1);
    }
  });
  CHECK(status == 130);
  CHECK(snapshot(temp.path()) == before);
}

TEST_CASE("a signal during work that cannot check (git) still leaves nothing",
          "[scaffold][writer]") {
  int signal_number = GENERATE(SIGINT, SIGTERM, SIGHUP);
  TempDir temp;
  int status = exit_status_of_child([&] {
    install_interrupt_handler(200ms);
    ProjectWriter writer(temp / "new/p", false);
    for (const auto& file : many_files(100))
      writer.write(file);
    // Like libgit2 writing the first commit: no stop checks; the watcher removes the
    // registered staging folder and the parent created for the target, then exits 130.
    ::raise(signal_number);
    std::this_thread::sleep_for(30s);
  });
  CHECK(status == 130);
  CHECK(fs::is_empty(temp.path()));
}
