#pragma once

#include <caf/atom.hpp>

namespace vigil::actors {

/// "Look at your source again."
using wake_atom = caf::atom_constant<caf::atom("wake")>;

} // namespace vigil::actors
