// The Mustache spec cases (interpolation and sections) that the built-in templates rely on,
// run through render_text. One deliberate difference from the spec: `{{x}}` does not
// HTML-escape, since templates produce source code.
#include <catch2/catch.hpp>

#include "mpaas/core/error.hpp"
#include "mpaas/scaffold/render.hpp"

using namespace mpaas;
using namespace mpaas::scaffold;

namespace {

Values spec_values() {
  return {{"subject", "world"},
          {"forbidden", "& \" < >"},
          {"empty", ""},
          {"boolean", "true", VariableType::boolean},
          {"off", "false", VariableType::boolean},
          {"ui", "tabs", VariableType::choice, {"tabs", "drawer"}},
          {"package", "com.example.app"}};
}

std::string render(const std::string& text) {
  return render_text(text, spec_values(), "test");
}

}  // namespace

TEST_CASE("spec interpolation: basic, no interpolation, whitespace", "[scaffold][mustache]") {
  CHECK(render("Hello from {Mustache}!\n") == "Hello from {Mustache}!\n");
  CHECK(render("Hello, {{subject}}!\n") == "Hello, world!\n");
  CHECK(render("| {{subject}} |") == "| world |");
  CHECK(render("  {{subject}}\n") == "  world\n");
  CHECK(render("|{{ subject }}|") == "|world|");
  CHECK(render("I ({{cannot}}) be seen!") == "I () be seen!");
}

TEST_CASE("values are inserted as given: no HTML escaping in any form", "[scaffold][mustache]") {
  CHECK(render("These characters should not be HTML escaped: {{forbidden}}") ==
        "These characters should not be HTML escaped: & \" < >");
  CHECK(render("{{{forbidden}}}") == "& \" < >");
  CHECK(render("{{&forbidden}}") == "& \" < >");
}

TEST_CASE("spec sections: truthy, falsey, inverted, context misses", "[scaffold][mustache]") {
  CHECK(render("\"{{#boolean}}This should be rendered.{{/boolean}}\"") ==
        "\"This should be rendered.\"");
  CHECK(render("\"{{#off}}This should not be rendered.{{/off}}\"") == "\"\"");
  CHECK(render("\"{{^off}}This should be rendered.{{/off}}\"") == "\"This should be rendered.\"");
  CHECK(render("\"{{^boolean}}no{{/boolean}}\"") == "\"\"");
  CHECK(render("[{{#missing}}Found key 'missing'!{{/missing}}]") == "[]");
  CHECK(render("{{#boolean}}A {{#boolean}}B {{/boolean}}C{{/boolean}}") == "A B C");
  CHECK(render("{{#ui_is_tabs}}tabs{{/ui_is_tabs}}{{#ui_is_drawer}}drawer{{/ui_is_drawer}}") ==
        "tabs");
}

TEST_CASE("spec sections: standalone lines are removed with their tags", "[scaffold][mustache]") {
  CHECK(render("| This Is\n{{#boolean}}\n|\n{{/boolean}}\n| A Line\n") ==
        "| This Is\n|\n| A Line\n");
  CHECK(render("| This Is\n  {{#boolean}}\n|\n  {{/boolean}}\n| A Line\n") ==
        "| This Is\n|\n| A Line\n");
  CHECK(render("|\r\n{{#boolean}}\r\n{{/boolean}}\r\n|") == "|\r\n|");
  CHECK(render("  {{#boolean}}\n#{{/boolean}}\n/") == "#\n/");
  // Skipped sections too (kainjow alone would leave their lines; see render.cpp).
  CHECK(render("{{#off}}\ngone\n{{/off}}\nkept\n") == "kept\n");
  CHECK(render("a\n  {{#off}}\n  gone\n  {{/off}}\nkept\n") == "a\nkept\n");
  CHECK(render("a\n{{^boolean}}\r\ngone\r\n{{/boolean}}\r\nkept") == "a\nkept");
  CHECK(render("a {{#off}}x{{/off}}\n") == "a \n");
}

TEST_CASE("derived names and lambdas", "[scaffold][mustache]") {
  CHECK(render("{{package_path}}/Main.kt") == "com/example/app/Main.kt");
  CHECK(render("{{#dots_to_slashes}}{{package}}{{/dots_to_slashes}}") == "com/example/app");
  CHECK(render("{{#upper}}{{subject}}{{/upper}} {{#lower}}ABC{{/lower}}") == "WORLD abc");
}

TEST_CASE("a malformed template names where it is", "[scaffold][mustache]") {
  try {
    render_text("{{#open}} never closed", spec_values(), "www/index.html");
    FAIL("no error");
  } catch (const Error& error) {
    CHECK(error.kind() == ErrorKind::invalid_input);
    CHECK_THAT(error.what(), Catch::EndsWith("(www/index.html)"));
  }
}
