// Compiled by ctest with only the `model` layer's include directories: including a header of a
// higher layer (pipeline) must fail to compile. CMakeLists.txt, test Layering.UpwardIncludeFails.
#include "model/graph.hpp"
#include "pipeline/evaluate.hpp"
