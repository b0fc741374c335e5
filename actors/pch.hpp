#pragma once

// Precompiled for every CAF-heavy target (see actors/CMakeLists.txt): parsing caf/all.hpp
// dominates the compile time of an actor file.
#include <caf/all.hpp>
