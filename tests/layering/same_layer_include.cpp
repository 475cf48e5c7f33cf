// The control of upward_include.cpp: with the same command, the `model` layer's own headers and
// those below it compile. CMakeLists.txt, test Layering.OwnAndLowerIncludesCompile.
#include "core/error.hpp"
#include "model/graph.hpp"
