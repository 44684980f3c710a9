// `mpaas logout`: forgets the profile's stored token (the endpoint setting stays).
#include "command.hpp"
#include "login/credentials.hpp"
#include "login/options.hpp"

namespace mpaas {

struct LogoutReport {
  std::string profile;
  bool removed = false;
};

Json to_json(const LogoutReport& report) {
  return Json{{"profile", report.profile}, {"removed", report.removed}};
}

TextLayout text_layout(const LogoutReport& report) {
  return TextLayout::sentence(report.removed ? "logged out of profile {profile}"
                                             : "profile {profile} had no stored token");
}

namespace {

int run_logout(const LogoutOptions&, Context& context) {
  bool removed = remove_credentials(context);
  context.emit(LogoutReport{context.config.profile(), removed});
  return 0;
}

}  // namespace

void register_logout_command(Command& root) {
  auto options = std::make_shared<LogoutOptions>();
  root.subcommand("logout", "Forget the token that login stored for the profile")
      .examples({"mpaas logout", "mpaas logout --profile ci"})
      .run(options, run_logout);
}

}  // namespace mpaas
