// Man page generation (see man_pages.hpp). The pages hold no dates or commits, so they
// change only when the commands do and the staleness test stays meaningful.
#include "help/man_pages.hpp"

#include <algorithm>
#include <sstream>

#include "mpaas/core/error.hpp"

namespace mpaas {
namespace {

std::string escape(const std::string& text) {
  std::string escaped;
  bool line_start = true;
  for (char c : text) {
    if (line_start && (c == '.' || c == '\''))
      escaped += "\\&";
    if (c == '\\') {
      escaped += "\\e";
    } else if (c == '-') {
      escaped += "\\-";
    } else {
      escaped += c;
    }
    line_start = c == '\n';
  }
  return escaped;
}

std::string header(const std::string& name, const std::string& version) {
  std::string upper;
  for (char c : name)
    upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return ".TH " + upper + " 1 \"\" \"mpaas " + version + "\" \"mpaas manual\"\n";
}

std::string option_items(const CommandInfo& command) {
  std::string text;
  for (const auto& option : command.options) {
    std::string names;
    if (option.flags.empty()) {
      names = option.positional_name;
      std::transform(names.begin(), names.end(), names.begin(),
                     [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    } else {
      for (const auto& flag : option.flags)
        names += (names.empty() ? "" : ", ") + flag;
    }
    text += ".TP\n.B " + escape(names) + "\n" + escape(option.description) + "\n";
    if (!option.choices.empty()) {
      std::string values;
      for (const auto& choice : option.choices)
        values += (values.empty() ? "" : ", ") + choice;
      text += "One of: " + escape(values) + ".\n";
    }
    if (option.range)
      text += "From " + std::to_string(option.range->first) + " to " +
              std::to_string(option.range->second) + ".\n";
    if (!option.default_value.empty())
      text += "Default: " + escape(option.default_value) + ".\n";
    if (option.required && !option.flags.empty())
      text += "Required.\n";
  }
  return text;
}

// Footers hold "Examples:" followed by indented lines.
std::string examples(const std::string& footer) {
  std::istringstream lines(footer);
  std::string line, text;
  while (std::getline(lines, line)) {
    if (line.rfind("  ", 0) == 0)
      text += ".nf\n" + escape(line.substr(2)) + "\n.fi\n";
  }
  return text;
}

void command_section(const CommandInfo& command, std::string& page) {
  page += ".SS " + escape(command.path) + "\n" + escape(command.description) + "\n";
  if (!command.options.empty())
    page += option_items(command);
  std::string example_text = examples(command.footer);
  if (!example_text.empty())
    page += ".PP\nExamples:\n" + example_text;
  for (const auto& child : command.children)
    command_section(child, page);
}

std::string root_page(const CommandInfo& root, const std::string& version) {
  std::string page = header("mpaas", version);
  page +=
      ".SH NAME\nmpaas \\- release toolchain for mobile teams: offline packages, binary "
      "patches, gray releases, analytics\n"
      ".SH SYNOPSIS\n.B mpaas\n[\\fIGLOBAL FLAGS\\fR] \\fICOMMAND\\fR [\\fIARGS\\fR]\n"
      ".SH COMMANDS\n";
  for (const auto& child : root.children) {
    page += ".TP\n.BR mpaas\\-" + escape(child.name) + " (1)\n" + escape(child.description) + "\n";
  }
  page += ".SH GLOBAL FLAGS\nAccepted before or after the command.\n" + option_items(root);
  page +=
      ".SH CONFIGURATION\n"
      "Settings are read from, in order of precedence: flags; environment variables "
      "(\\fBMPAAS_\\fIKEY\\fR, with \\fB__\\fR for a dot, e.g. \\fBMPAAS_OFFLINE__ID\\fR); "
      "the project file \\fImpaas.yaml\\fR, found upward from the working folder; the active "
      "profile of the user config; built-in defaults. \\fBmpaas config list\\fR shows each "
      "value and its source.\n"
      ".SH ENVIRONMENT\n"
      ".TP\n.B MPAAS_PROFILE\nThe profile of the user config to use.\n"
      ".TP\n.B MPAAS_ENDPOINT\nThe platform endpoint; unset means the embedded platform.\n"
      ".TP\n.B MPAAS_DATA_DIR\nWhere the embedded platform keeps its data.\n"
      ".TP\n.B NO_COLOR\nDisables colour.\n"
      ".TP\n.B XDG_CONFIG_HOME, XDG_DATA_HOME\nBase folders of the user config and data.\n"
      ".SH FILES\n"
      ".TP\n.I $XDG_CONFIG_HOME/mpaas/config.yaml\nUser config with profiles.\n"
      ".TP\n.I mpaas.yaml\nProject file.\n"
      ".SH EXIT STATUS\n";
  for (const auto& row : exit_code_table()) {
    page += ".TP\n.B " + std::to_string(row.code) + "\n" +
            escape(std::string(row.name) + ": " + row.meaning) + "\n";
  }
  page += ".SH SEE ALSO\n";
  std::string see_also;
  for (const auto& child : root.children) {
    see_also +=
        (see_also.empty() ? "" : ",\n") + std::string(".BR mpaas\\-") + escape(child.name) + " (1)";
  }
  return page + see_also + "\n";
}

std::string group_page(const CommandInfo& group, const std::string& version) {
  std::string page = header("mpaas-" + group.name, version);
  page += ".SH NAME\nmpaas\\-" + escape(group.name) + " \\- " + escape(group.description) + "\n";
  page += ".SH SYNOPSIS\n.B " + escape(group.path) + "\n";
  page += group.children.empty() ? "[\\fIOPTIONS\\fR]\n" : "\\fICOMMAND\\fR [\\fIOPTIONS\\fR]\n";
  page += ".SH DESCRIPTION\n";
  command_section(group, page);
  page += ".SH SEE ALSO\n.BR mpaas (1)\n";
  return page;
}

}  // namespace

std::map<std::string, std::string> generate_man_pages(const CommandInfo& root,
                                                      const std::string& version) {
  std::map<std::string, std::string> pages;
  pages["mpaas.1"] = root_page(root, version);
  for (const auto& group : root.children) {
    pages["mpaas-" + group.name + ".1"] = group_page(group, version);
  }
  return pages;
}

}  // namespace mpaas
