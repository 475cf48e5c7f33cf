// sparsecim::Error: the one exception type of the project. Its message is what the user sees,
// on one line: which file, which node or field, what was expected.
#pragma once

#include <stdexcept>
#include <string>

namespace sparsecim {

class Error : public std::runtime_error {
  public:
    explicit Error(const std::string& what) : std::runtime_error(what) {}
};

}  // namespace sparsecim
