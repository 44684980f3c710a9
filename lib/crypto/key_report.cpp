// The public facts of a key as a result (see key_report.hpp).
#include "mpaas/crypto/key_report.hpp"

namespace mpaas::crypto {

KeyReport describe_key(const Key& key) {
  return {key.type_name(), fingerprint(key), public_key_base64(key), {}, {}, {}};
}

Json to_json(const KeyReport& report) {
  Json record{{"type", report.type}, {"fingerprint", report.fingerprint}};
  if (report.private_key_path)
    record["private_key"] = *report.private_key_path;
  if (report.public_key_path)
    record["public_key"] = *report.public_key_path;
  record["public_base64"] = report.public_base64;
  if (report.public_pem)
    record["public_pem"] = *report.public_pem;
  return record;
}

TextLayout text_layout(const KeyReport& report) {
  if (!report.public_pem)
    return TextLayout::bare("public_base64");
  return TextLayout::record({{"type", "type"}, {"fingerprint", "fingerprint"}}, "public_pem");
}

}  // namespace mpaas::crypto
