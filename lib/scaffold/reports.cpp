// JSON forms and text layouts of the scaffold results (see reports.hpp).
#include "mpaas/scaffold/reports.hpp"

namespace mpaas::scaffold {
namespace {

const char* type_name(VariableType type) {
  switch (type) {
    case VariableType::boolean:
      return "bool";
    case VariableType::choice:
      return "choice";
    default:
      return "string";
  }
}

Json variables_of(const Manifest& manifest) {
  Json variables = Json::array();
  for (const auto& spec : manifest.variables) {
    variables.push_back({{"name", spec.name},
                         {"type", type_name(spec.type)},
                         {"description", spec.description},
                         {"default", spec.default_value ? Json(*spec.default_value) : Json()}});
  }
  return variables;
}

}  // namespace

Json to_json(const TemplateListing& listing) {
  Json rows = Json::array();
  for (const auto& builtin : listing.templates) {
    rows.push_back({{"name", builtin.name},
                    {"description", builtin.description},
                    {"variables", variables_of(builtin.manifest)}});
  }
  return rows;
}

TextLayout text_layout(const TemplateListing&) {
  return TextLayout::table({{"name", "name"}, {"description", "description"}});
}

Json to_json(const NewProjectReport& report) {
  Json variables = Json::object();
  for (const auto& value : report.values) {
    variables[value.name] =
        value.type == VariableType::boolean ? Json(value.text == "true") : Json(value.text);
  }
  const Value* app_id = find_value(report.values, "app_id");
  return {{"project", report.project},
          {"template", report.template_name},
          {"source", report.source},
          {"app_id", app_id ? Json(app_id->text) : Json()},
          {"variables", variables},
          {"files", report.files},
          {"commit", report.commit.empty() ? Json() : Json(report.commit)}};
}

TextLayout text_layout(const NewProjectReport&) {
  return TextLayout::record({{"project", "project"},
                             {"template", "template"},
                             {"source", "source"},
                             {"app_id", "app_id"},
                             {"files", "files", Unit::count},
                             {"commit", "commit", Unit::short_hash}});
}

}  // namespace mpaas::scaffold
