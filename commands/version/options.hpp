// Options of `mpaas version` (none; reachable from tests like every command's).
#pragma once

namespace mpaas {

struct VersionOptions {};

}  // namespace mpaas
