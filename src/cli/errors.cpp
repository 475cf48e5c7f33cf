// How the command line words a library error: the flag that sets the value it names.
#include <algorithm>
#include <map>

#include "cli/commands.hpp"
#include "core/error.hpp"

namespace sparsecim::cli {

namespace {

// The command-line flag of a library option (EvalOptions/TrainOptions field name).
std::string flag_of(const std::string& option) {
    static const std::map<std::string, std::string> renamed = {
        {"finetune_epochs", "--finetune"},
        {"start_epoch", "--resume"},
        {"ste_bits", "--w-bits"},
        {"size_adc_images", "--size-adc"},
        {"size_adc_top1_images", "--size-adc-top1"}};
    if (auto it = renamed.find(option); it != renamed.end()) return it->second;
    std::string flag = "--" + option;
    std::replace(flag.begin(), flag.end(), '_', '-');
    return flag;
}

}  // namespace

// An error as the command line words it: a FieldError's option, scheme parameter or hardware
// override by the flag that sets it (and the options its text mentions by theirs).
std::string cli_message(const std::exception& e) {
    const auto* fe = dynamic_cast<const FieldError*>(&e);
    if (!fe) return e.what();
    std::string detail = fe->detail();
    for (const std::string& other : fe->mentions()) {
        const std::string flag = flag_of(other);
        for (size_t at = detail.find(other); at != std::string::npos;
             at = detail.find(other, at + flag.size()))
            detail.replace(at, other.size(), flag);
    }
    switch (fe->origin()) {
        case Origin::Option:
            return flag_of(fe->name()) + ": " + detail;
        case Origin::SchemeParam:
            return "--param " + fe->name() + ": " + detail;
        case Origin::HwOverride:
            return "--set " + fe->name() + ": " + detail;
    }
    return e.what();
}

}  // namespace sparsecim::cli
