// sparsecim::Error: the one exception type of the project. Its message is what the user sees,
// on one line: which file, which node or field, what was expected.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace sparsecim {

class Error : public std::runtime_error {
  public:
    explicit Error(const std::string& what) : std::runtime_error(what) {}
};

// What a value the caller passed (not read from a file) was: an option of a library call, named
// as the options struct spells it (EvalOptions::accuracy_images -> "accuracy_images"), a scheme
// parameter ("csr.beta") or a hardware override ("ou.rows").
enum class Origin { Option, SchemeParam, HwOverride };

// An Error about one such value. The library words it in its own terms, "NAME: DETAIL"; a front
// end rewords NAME, and the other options DETAIL mentions (`mentions`, written there by their
// option names), with its own spelling: the CLI says `--accuracy-images`, `--param csr.beta`,
// `--set ou.rows`; an experiment file its field path.
class FieldError : public Error {
  public:
    FieldError(Origin origin, std::string name, std::string detail,
               std::vector<std::string> mentions = {})
        : Error(name + ": " + detail),
          origin_(origin),
          name_(std::move(name)),
          detail_(std::move(detail)),
          mentions_(std::move(mentions)) {}
    Origin origin() const { return origin_; }
    const std::string& name() const { return name_; }
    const std::string& detail() const { return detail_; }
    const std::vector<std::string>& mentions() const { return mentions_; }

  private:
    Origin origin_;
    std::string name_, detail_;
    std::vector<std::string> mentions_;
};

}  // namespace sparsecim
