// `mpaas analytics`: ingest app events, query metrics, compare two versions (docs/analytics.md).
#include "command.hpp"

namespace mpaas {

void register_analytics_ingest(Command& group);
void register_analytics_query(Command& group);
void register_analytics_compare(Command& group);

void register_analytics_commands(Command& root) {
  Command group =
      root.subcommand("analytics", "Ingest app events, query metrics and compare two app versions");
  group.examples({"mpaas analytics ingest events.ndjson.gz --app com.example.shop",
                  "mpaas analytics query active-devices --app com.example.shop --from 2026-03-01 "
                  "--to 2026-03-31",
                  "mpaas analytics compare --app com.example.shop --version 2.3.0 --version 2.3.1 "
                  "--from 2026-03-01 --to 2026-03-31"});
  register_analytics_ingest(group);
  register_analytics_query(group);
  register_analytics_compare(group);
}

}  // namespace mpaas
