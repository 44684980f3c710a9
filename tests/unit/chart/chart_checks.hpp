// What the chart tests check output with, written apart from lib/chart so that a fault in
// the library cannot hide itself: terminal widths, XML well-formedness and PNG pixels.
#pragma once

#include <zlib.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace mpaas::test::chart {

// The lines of `text` (split at '\n'; a final '\n' ends the last line).
inline std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos)
      end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

// `text` without ANSI SGR sequences (ESC '[' ... 'm').
inline std::string strip_ansi(const std::string& text) {
  std::string plain;
  for (std::size_t index = 0; index < text.size(); ++index) {
    if (text[index] == '\x1b' && index + 1 < text.size() && text[index + 1] == '[') {
      std::size_t end = text.find('m', index);
      if (end == std::string::npos)
        break;
      index = end;
      continue;
    }
    plain += text[index];
  }
  return plain;
}

// The columns a terminal gives `text`: one per UTF-8 code point (a lead byte), two for the
// CJK, Hangul, fullwidth and emoji blocks.
inline std::size_t columns_of(const std::string& text) {
  std::size_t columns = 0;
  for (std::size_t index = 0; index < text.size(); ++index) {
    auto byte = static_cast<unsigned char>(text[index]);
    if ((byte & 0xc0) == 0x80)
      continue;
    std::uint32_t code_point = byte;
    int length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    if (length > 1) {
      code_point = byte & (0x7f >> length);
      for (int next = 1; next < length && index + next < text.size(); ++next)
        code_point = (code_point << 6) | (static_cast<unsigned char>(text[index + next]) & 0x3f);
    }
    bool wide = (code_point >= 0x1100 && code_point <= 0x115f) ||
                (code_point >= 0x2e80 && code_point <= 0xa4cf) ||
                (code_point >= 0xac00 && code_point <= 0xd7a3) ||
                (code_point >= 0xf900 && code_point <= 0xfaff) ||
                (code_point >= 0xff00 && code_point <= 0xff60) ||
                (code_point >= 0x1f300 && code_point <= 0x1f64f) ||
                (code_point >= 0x20000 && code_point <= 0x3fffd);
    columns += wide ? 2 : 1;
  }
  return columns;
}

// Empty when `document` is well-formed XML with one root element, else what is wrong: tags
// balance, attributes are quoted and unique, every '&' starts a known entity or a character
// reference, no '<' or '>' in text or values, no control character XML forbids.
inline std::string xml_problem(const std::string& document) {
  auto name_char = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == ':' || c == '-' ||
           c == '.' || (c & 0x80);
  };
  auto references_ok = [](const std::string& text) -> std::string {
    for (std::size_t at = text.find('&'); at != std::string::npos; at = text.find('&', at + 1)) {
      std::size_t end = text.find(';', at);
      if (end == std::string::npos)
        return "'&' without ';' in \"" + text + "\"";
      std::string name = text.substr(at + 1, end - at - 1);
      bool decimal = name.size() > 1 && name[0] == '#' &&
                     name.find_first_not_of("0123456789", 1) == std::string::npos;
      bool hex = name.size() > 2 && name[0] == '#' && name[1] == 'x' &&
                 name.find_first_not_of("0123456789abcdefABCDEF", 2) == std::string::npos;
      if (name != "amp" && name != "lt" && name != "gt" && name != "quot" && name != "apos" &&
          !decimal && !hex)
        return "unknown entity &" + name + ";";
    }
    return "";
  };
  for (char c : document) {
    auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 && c != '\n' && c != '\r' && c != '\t')
      return "control character " + std::to_string(byte);
  }
  std::size_t at = 0;
  if (document.compare(0, 5, "<?xml") == 0) {
    at = document.find("?>");
    if (at == std::string::npos)
      return "unterminated XML declaration";
    at += 2;
  }
  std::vector<std::string> open;
  int roots = 0;
  while (at < document.size()) {
    std::size_t tag = document.find('<', at);
    std::string text = document.substr(at, tag == std::string::npos ? std::string::npos : tag - at);
    if (text.find('>') != std::string::npos)
      return "'>' in text \"" + text + "\"";
    if (open.empty() && text.find_first_not_of(" \n\r\t") != std::string::npos)
      return "text outside the root element";
    if (auto problem = references_ok(text); !problem.empty())
      return problem;
    if (tag == std::string::npos)
      break;
    at = tag + 1;
    if (document.compare(at, 3, "!--") == 0) {
      std::size_t end = document.find("-->", at);
      if (end == std::string::npos)
        return "unterminated comment";
      at = end + 3;
      continue;
    }
    bool closing = at < document.size() && document[at] == '/';
    if (closing)
      ++at;
    std::size_t name_end = at;
    while (name_end < document.size() && name_char(document[name_end]))
      ++name_end;
    std::string name = document.substr(at, name_end - at);
    if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0])) || name[0] == '-')
      return "bad element name at byte " + std::to_string(at);
    at = name_end;
    if (closing) {
      if (open.empty() || open.back() != name)
        return "</" + name + "> closes " + (open.empty() ? "nothing" : "<" + open.back() + ">");
      open.pop_back();
      if (at >= document.size() || document[at] != '>')
        return "junk in </" + name + ">";
      ++at;
      continue;
    }
    std::map<std::string, std::string> attributes;
    bool self_closing = false;
    for (;;) {
      while (at < document.size() && std::isspace(static_cast<unsigned char>(document[at])))
        ++at;
      if (at >= document.size())
        return "unterminated <" + name + ">";
      if (document.compare(at, 2, "/>") == 0) {
        self_closing = true;
        at += 2;
        break;
      }
      if (document[at] == '>') {
        ++at;
        break;
      }
      std::size_t attribute_end = at;
      while (attribute_end < document.size() && name_char(document[attribute_end]))
        ++attribute_end;
      std::string attribute = document.substr(at, attribute_end - at);
      if (attribute.empty() || attribute_end + 1 >= document.size() ||
          document[attribute_end] != '=' ||
          (document[attribute_end + 1] != '"' && document[attribute_end + 1] != '\''))
        return "bad attribute in <" + name + ">";
      char quote = document[attribute_end + 1];
      std::size_t value_end = document.find(quote, attribute_end + 2);
      if (value_end == std::string::npos)
        return "unterminated value of " + attribute;
      std::string value = document.substr(attribute_end + 2, value_end - attribute_end - 2);
      if (value.find('<') != std::string::npos)
        return "'<' in the value of " + attribute;
      if (auto problem = references_ok(value); !problem.empty())
        return problem;
      if (!attributes.emplace(attribute, value).second)
        return "attribute " + attribute + " twice in <" + name + ">";
      at = value_end + 1;
      if (at < document.size() && !std::isspace(static_cast<unsigned char>(document[at])) &&
          document[at] != '>' && document[at] != '/')
        return "no space after the value of " + attribute;
    }
    if (open.empty() && ++roots > 1)
      return "a second root element <" + name + ">";
    if (!self_closing)
      open.push_back(name);
  }
  if (!open.empty())
    return "<" + open.back() + "> is never closed";
  if (roots != 1)
    return "no root element";
  return "";
}

// An 8-bit RGB or RGBA PNG (what Chromium's screenshots are) as RGB pixels, or nullopt when
// it is not one.
struct Image {
  std::uint32_t width = 0, height = 0;
  std::vector<std::uint8_t> rgb;  // width * height * 3
};

inline std::optional<Image> decode_png(const std::string& png) {
  static const std::string signature = "\x89PNG\r\n\x1a\n";
  if (png.compare(0, signature.size(), signature) != 0)
    return std::nullopt;
  auto be32 = [&](std::size_t at) {
    return (std::uint32_t(std::uint8_t(png[at])) << 24) |
           (std::uint32_t(std::uint8_t(png[at + 1])) << 16) |
           (std::uint32_t(std::uint8_t(png[at + 2])) << 8) |
           std::uint32_t(std::uint8_t(png[at + 3]));
  };
  Image image;
  int channels = 0;
  std::string compressed;
  for (std::size_t at = signature.size(); at + 12 <= png.size();) {
    std::uint32_t length = be32(at);
    std::string type = png.substr(at + 4, 4);
    if (at + 12 + length > png.size())
      return std::nullopt;
    std::string data = png.substr(at + 8, length);
    if (type == "IHDR") {
      image.width = be32(at + 8);
      image.height = be32(at + 12);
      int depth = std::uint8_t(data[8]), colour_type = std::uint8_t(data[9]);
      channels = colour_type == 2 ? 3 : colour_type == 6 ? 4 : 0;
      if (depth != 8 || channels == 0 || data[12] != 0 || image.width > 10000 ||
          image.height > 10000)
        return std::nullopt;  // palettes, 16 bits, interlacing: not what Chromium writes
    } else if (type == "IDAT") {
      compressed += data;
    } else if (type == "IEND") {
      break;
    }
    at += 12 + length;
  }
  if (channels == 0)
    return std::nullopt;
  std::size_t stride = std::size_t(image.width) * channels;
  std::vector<std::uint8_t> raw((stride + 1) * image.height);
  uLongf raw_size = raw.size();
  if (uncompress(raw.data(), &raw_size, reinterpret_cast<const Bytef*>(compressed.data()),
                 compressed.size()) != Z_OK ||
      raw_size != raw.size())
    return std::nullopt;
  std::vector<std::uint8_t> pixels(stride * image.height);
  for (std::size_t row = 0; row < image.height; ++row) {
    std::uint8_t filter = raw[row * (stride + 1)];
    const std::uint8_t* in = &raw[row * (stride + 1) + 1];
    std::uint8_t* out = &pixels[row * stride];
    const std::uint8_t* up = row > 0 ? &pixels[(row - 1) * stride] : nullptr;
    for (std::size_t x = 0; x < stride; ++x) {
      int a = x >= std::size_t(channels) ? out[x - channels] : 0;
      int b = up ? up[x] : 0;
      int c = up && x >= std::size_t(channels) ? up[x - channels] : 0;
      int predictor = 0;
      switch (filter) {
        case 0:
          break;
        case 1:
          predictor = a;
          break;
        case 2:
          predictor = b;
          break;
        case 3:
          predictor = (a + b) / 2;
          break;
        case 4: {
          int p = a + b - c, pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
          predictor = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
          break;
        }
        default:
          return std::nullopt;
      }
      out[x] = std::uint8_t(in[x] + predictor);
    }
  }
  image.rgb.reserve(std::size_t(image.width) * image.height * 3);
  for (std::size_t pixel = 0; pixel < std::size_t(image.width) * image.height; ++pixel) {
    for (int channel = 0; channel < 3; ++channel)
      image.rgb.push_back(pixels[pixel * channels + channel]);
  }
  return image;
}

}  // namespace mpaas::test::chart
