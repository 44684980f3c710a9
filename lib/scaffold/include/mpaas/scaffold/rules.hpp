// The naming rules a new project is checked against before anything is written: the app
// id, the Java (Android) package name, the iOS bundle id and the H5 offline package id.
// A broken rule throws usage_error (exit 2) whose message says which rule and which part
// of the value breaks it. It also derives the names a project starts from (default app id,
// slug, identifier) from a folder name.
#pragma once

#include <string>
#include <vector>

namespace mpaas::scaffold {

// The rule names a template.yaml may use in `rule:`.
const std::vector<std::string>& rule_names();
bool is_rule(const std::string& name);

// Throws usage_error naming `rule`, the value and `field` when `value` breaks it.
void check_rule(const std::string& rule, const std::string& value, const std::string& field);

// "My Shop-2" -> "my-shop-2": lowercase letters and digits joined by '-'.
std::string slug_of(const std::string& name);
// "my-shop 2" -> "MyShop2"; prefixed with "App" when it would not start with a letter.
std::string identifier_of(const std::string& name);
// "My Shop-2" -> "com.example.myshop2": a valid app id derived from the folder name.
std::string default_app_id(const std::string& name);

}  // namespace mpaas::scaffold
