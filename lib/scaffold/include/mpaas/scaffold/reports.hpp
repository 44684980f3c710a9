// The results of `mpaas new` and `mpaas new --list` as typed values with one JSON form each
// (docs/json.md), rendered as text or JSON by lib/core's output model.
#pragma once

#include <string>
#include <vector>

#include "mpaas/core/output.hpp"
#include "mpaas/scaffold/render.hpp"
#include "mpaas/scaffold/tree.hpp"

namespace mpaas::scaffold {

// The built-in templates and their variables.
struct TemplateListing {
  std::vector<BuiltinTemplate> templates;
};
Json to_json(const TemplateListing& listing);
TextLayout text_layout(const TemplateListing& listing);

// A project just created.
struct NewProjectReport {
  std::string project;        // its folder
  std::string template_name;  // as the user named it
  std::string source;         // where the template came from (built-in, folder, URL@commit)
  Values values;              // every variable, resolved
  std::vector<std::string> files;
  std::string commit;  // the initial commit, empty without git
};
Json to_json(const NewProjectReport& report);
TextLayout text_layout(const NewProjectReport& report);

}  // namespace mpaas::scaffold
