// Manifest.xml, CERT.json and hpmfile.json (see format.hpp).
#include "mpaas/offline/format.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <vector>

#include "mpaas/core/error.hpp"

namespace mpaas::offline {
namespace {

std::string xml_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

// The manifest is parsed as XML, not searched as text: a <uid> inside a comment, a CDATA
// section or a nested element is not the package's uid to an XML parser (what mPaaS
// clients use), so it must not be to us either. This is the subset a manifest needs:
// prolog and processing instructions, comments, elements with attributes, text with the
// five predefined and numeric character references, CDATA. A DOCTYPE is refused (no
// entity definitions, so nothing to expand). One pass, no recursion, bounded depth.
class ManifestParser {
 public:
  explicit ManifestParser(const std::string& xml) : m_xml(xml) {}

  std::map<std::string, std::string> fields() {
    skip_bom();
    while (m_at < m_xml.size()) {
      if (m_xml.compare(m_at, 4, "<!--") == 0)
        skip_past(4, "-->", "an unclosed comment");
      else if (m_xml.compare(m_at, 2, "<?") == 0)
        skip_past(2, "?>", "an unclosed processing instruction");
      else if (m_xml.compare(m_at, 9, "<![CDATA[") == 0)
        text(cdata());
      else if (m_xml.compare(m_at, 2, "<!") == 0)
        fail("a DOCTYPE or other declaration");
      else if (m_xml.compare(m_at, 2, "</") == 0)
        close_tag();
      else if (m_xml[m_at] == '<')
        open_tag();
      else
        text(character_data());
    }
    if (!m_open.empty())
      fail("an unclosed <" + m_open.back() + ">");
    if (!m_seen_root)
      fail("no <package> element");
    return m_fields;
  }

 private:
  static constexpr size_t max_depth = 32;
  static constexpr size_t max_shown = 40;  // of a tag name in a message

  [[noreturn]] void fail(const std::string& why) const {
    throw invalid_input("malformed manifest: " + why + " (Manifest.xml)", manifest_name);
  }
  static std::string shown(const std::string& tag) {
    return tag.size() <= max_shown ? tag : tag.substr(0, max_shown) + "...";
  }

  void skip_bom() {
    if (m_xml.compare(0, 3, "\xEF\xBB\xBF") == 0)
      m_at = 3;
  }

  // Skips a construct that opens with `opener` characters and ends with `end`.
  void skip_past(size_t opener, const char* end, const char* what) {
    size_t found = m_xml.find(end, m_at + opener);
    if (found == std::string::npos)
      fail(what);
    m_at = found + std::strlen(end);
  }

  std::string cdata() {
    size_t start = m_at + 9;
    size_t end = m_xml.find("]]>", start);
    if (end == std::string::npos)
      fail("an unclosed CDATA section");
    m_at = end + 3;
    return m_xml.substr(start, end - start);
  }

  static bool is_name_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' ||
           c == ':' || static_cast<unsigned char>(c) >= 0x80;
  }

  std::string name() {
    size_t start = m_at;
    while (m_at < m_xml.size() && is_name_char(m_xml[m_at]))
      ++m_at;
    if (m_at == start)
      fail("a tag without a name");
    return m_xml.substr(start, m_at - start);
  }

  void skip_space() {
    while (m_at < m_xml.size() && std::isspace(static_cast<unsigned char>(m_xml[m_at])))
      ++m_at;
  }

  // Attributes are skipped, but parsed, so that a '>' inside a quoted value does not end
  // the tag. Returns true for an empty-element tag (<a/>).
  bool skip_attributes() {
    for (;;) {
      skip_space();
      if (m_at >= m_xml.size())
        fail("an unclosed tag");
      if (m_xml.compare(m_at, 2, "/>") == 0) {
        m_at += 2;
        return true;
      }
      if (m_xml[m_at] == '>') {
        ++m_at;
        return false;
      }
      name();
      skip_space();
      if (m_at >= m_xml.size() || m_xml[m_at] != '=')
        fail("an attribute without a value");
      ++m_at;
      skip_space();
      char quote = m_at < m_xml.size() ? m_xml[m_at] : '\0';
      if (quote != '"' && quote != '\'')
        fail("an unquoted attribute value");
      size_t end = m_xml.find(quote, m_at + 1);
      if (end == std::string::npos)
        fail("an unclosed attribute value");
      m_at = end + 1;
    }
  }

  void open_tag() {
    ++m_at;
    std::string tag = name();
    bool empty = skip_attributes();
    if (m_open.empty()) {
      if (m_seen_root)
        fail("a second root element <" + shown(tag) + ">");
      if (tag != "package")
        fail("the root element is <" + shown(tag) + ">, not <package>");
      m_seen_root = true;
    } else if (m_open.size() == 1) {
      m_field_has_child = false;
      m_field_text.clear();
    } else {
      m_field_has_child = true;  // a field holds text only
    }
    if (empty) {
      if (m_open.size() == 1)
        store(tag);
      return;
    }
    if (m_open.size() >= max_depth)
      fail("elements nested too deeply");
    m_open.push_back(tag);
  }

  void close_tag() {
    m_at += 2;
    std::string tag = name();
    skip_space();
    if (m_at >= m_xml.size() || m_xml[m_at] != '>')
      fail("an unclosed end tag");
    ++m_at;
    if (m_open.empty() || m_open.back() != tag)
      fail("</" + shown(tag) + "> does not close the open element");
    m_open.pop_back();
    if (m_open.size() == 1)
      store(tag);
  }

  // A direct child of <package>: kept when it is one of ours, and each only once (two
  // <uid> would leave the choice to each reader).
  void store(const std::string& tag) {
    static const char* const known[] = {"uid", "name", "version", "type", "base_version"};
    if (std::find(std::begin(known), std::end(known), tag) == std::end(known))
      return;
    if (m_field_has_child)
      fail("<" + tag + "> holds elements, not text");
    if (!m_fields.emplace(tag, m_field_text).second)
      fail("two <" + tag + "> elements");
  }

  void text(const std::string& content) {
    bool blank = std::all_of(content.begin(), content.end(),
                             [](char c) { return std::isspace(static_cast<unsigned char>(c)); });
    if (m_open.empty() && !blank)
      fail("text outside the root element");
    if (m_open.size() == 2)
      m_field_text += content;
  }

  std::string character_data() {
    std::string out;
    while (m_at < m_xml.size() && m_xml[m_at] != '<') {
      if (m_xml[m_at] == '&')
        out += reference();
      else
        out.push_back(m_xml[m_at++]);
    }
    return out;
  }

  // &lt; &gt; &amp; &quot; &apos; and &#N; / &#xH; (as UTF-8).
  std::string reference() {
    size_t end = m_xml.find(';', m_at);
    if (end == std::string::npos || end - m_at > 12)
      fail("an unterminated character reference");
    std::string entity = m_xml.substr(m_at + 1, end - m_at - 1);
    m_at = end + 1;
    static const std::pair<const char*, const char*> named[] = {
        {"lt", "<"}, {"gt", ">"}, {"amp", "&"}, {"quot", "\""}, {"apos", "'"}};
    for (auto [from, to] : named)
      if (entity == from)
        return to;
    if (entity.size() < 2 || entity[0] != '#')
      fail("an unknown entity &" + entity + ";");
    bool hex = entity[1] == 'x';
    std::string digits = entity.substr(hex ? 2 : 1);
    unsigned long code = 0;
    for (char c : digits) {
      int digit = -1;
      if (std::isdigit(static_cast<unsigned char>(c)))
        digit = c - '0';
      else if (hex && std::isxdigit(static_cast<unsigned char>(c)))
        digit = std::tolower(static_cast<unsigned char>(c)) - 'a' + 10;
      if (digit < 0)
        fail("a malformed character reference");
      code = code * (hex ? 16 : 10) + static_cast<unsigned long>(digit);
    }
    if (digits.empty() || code == 0 || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF))
      fail("a malformed character reference");
    return utf8(code);
  }

  static std::string utf8(unsigned long code) {
    std::string out;
    auto put = [&](unsigned long byte) { out.push_back(static_cast<char>(byte)); };
    if (code < 0x80) {
      put(code);
    } else if (code < 0x800) {
      put(0xC0 | (code >> 6));
      put(0x80 | (code & 0x3F));
    } else if (code < 0x10000) {
      put(0xE0 | (code >> 12));
      put(0x80 | ((code >> 6) & 0x3F));
      put(0x80 | (code & 0x3F));
    } else {
      put(0xF0 | (code >> 18));
      put(0x80 | ((code >> 12) & 0x3F));
      put(0x80 | ((code >> 6) & 0x3F));
      put(0x80 | (code & 0x3F));
    }
    return out;
  }

  const std::string& m_xml;
  size_t m_at = 0;
  std::vector<std::string> m_open;
  bool m_seen_root = false;
  bool m_field_has_child = false;
  std::string m_field_text;
  std::map<std::string, std::string> m_fields;
};

Json support_of(const VersionRange& range) {
  return Json{{"minSDK", range.min}, {"maxSDK", range.max}, {"minOS", ""}, {"maxOS", ""}};
}

}  // namespace

std::string tar_name(const std::string& id) {
  return id + ".tar";
}

std::string manifest_xml(const Manifest& manifest) {
  return "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<package>\n  <uid>" +
         xml_escape(manifest.uid) + "</uid>\n  <name>" + xml_escape(manifest.name) +
         "</name>\n  <version>" + xml_escape(manifest.version) + "</version>\n" +
         (manifest.base_version.empty()
              ? std::string()
              : "  <type>incremental</type>\n  <base_version>" + xml_escape(manifest.base_version) +
                    "</base_version>\n") +
         "</package>\n";
}

Manifest parse_manifest(const std::string& xml) {
  if (xml.size() > max_small_member)
    throw invalid_input("member is too large (Manifest.xml)", manifest_name);
  auto fields = ManifestParser(xml).fields();
  auto field = [&](const char* name) {
    auto it = fields.find(name);
    return it == fields.end() ? std::optional<std::string>() : it->second;
  };
  if (!field("uid") || !field("version"))
    throw invalid_input("no <uid> or <version> in the manifest (Manifest.xml)", manifest_name);
  Manifest manifest;
  manifest.uid = *field("uid");
  manifest.name = field("name").value_or("");
  manifest.version = *field("version");
  manifest.base_version = field("base_version").value_or("");
  return manifest;
}

std::string cert_json(const std::map<std::string, std::string>& signatures) {
  Json object = Json::object();
  for (const auto& [name, signature] : signatures)
    object[name] = signature;
  return object.dump() + " \n";  // the trailing " \n" is in the packages mPaaS writes
}

std::map<std::string, std::string> parse_cert_json(const std::string& text) {
  Json parsed = Json::parse(text, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    throw invalid_input("not a JSON object (CERT.json)");
  }
  std::map<std::string, std::string> signatures;
  for (const auto& [name, value] : parsed.items()) {
    if (!value.is_string())
      throw invalid_input("signature is not a string (CERT.json: " + name + ")");
    signatures[name] = value.get<std::string>();
  }
  return signatures;
}

Json hpmfile(const Settings& settings) {
  auto prefixed = [&](const std::vector<std::string>& globs) {
    Json list = Json::array();
    for (const auto& glob : globs)
      list.push_back("./" + settings.root + "/" + glob);
    return list;
  };
  Json host{{"enable", !settings.vhost.empty()}, {"online", settings.vhost}};
  return Json{{"appid", settings.id},
              {"name", settings.name},
              {"version", settings.version},
              {"author", ""},
              {"description", ""},
              {"type", settings.type},
              {"launchParams", Json{{"url", settings.main_url}}},
              {"host", host},
              {"build", Json{{"include", prefixed(settings.include)},
                             {"ignore", prefixed(settings.exclude)}}},
              {"support",
               Json{{"ios", support_of(settings.ios)}, {"android", support_of(settings.android)}}},
              {"dependencies", Json::object()}};
}

std::string hpmfile_text(const Settings& settings) {
  return hpmfile(settings).dump(2) + "\n";
}

}  // namespace mpaas::offline
