// Library errors name the option, scheme parameter or hardware key in the library's own terms and
// never a command-line flag (issue 20, item 6); the CLI rewords them with its flags.
#include <gtest/gtest.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "core/error.hpp"
#include "hw/hw_config.hpp"
#include "pipeline/evaluate.hpp"

using namespace sparsecim;

namespace {

template <typename F>
FieldError caught(F&& f) {
    try {
        f();
    } catch (const FieldError& e) {
        return e;
    }
    throw std::runtime_error("no FieldError thrown");
}

}  // namespace

TEST(ErrorWording, OptionsParametersAndOverridesAreNamedAsTheLibrarySpellsThem) {
    EvalOptions o;
    o.model = "zoo:tiny-cnn";
    o.images = 0;
    FieldError e = caught([&] { evaluate(o); });
    EXPECT_EQ(e.origin(), Origin::Option);
    EXPECT_STREQ(e.what(), "images: must be at least 1");

    o.images = 1;
    o.counts_only = o.check_exact = true;
    e = caught([&] { evaluate(o); });
    EXPECT_EQ(e.name(), "counts_only");
    EXPECT_EQ(e.mentions(), std::vector<std::string>{"check_exact"});
    EXPECT_NE(e.detail().find("check_exact"), std::string::npos);

    o.counts_only = false;
    o.schemes = {"dense", "csr"};
    o.scheme_params = {"csr.beta=0"};
    e = caught([&] { evaluate(o); });
    EXPECT_EQ(e.origin(), Origin::SchemeParam);
    EXPECT_STREQ(e.what(), "csr.beta: must be a positive integer");

    HwConfig hw =
        load_hw_config(std::filesystem::path(SPARSECIM_SOURCE_DIR) / "configs/hw/dense.yaml");
    e = caught([&] { apply_hw_override(hw, "ou.rows=0"); });
    EXPECT_EQ(e.origin(), Origin::HwOverride);
    EXPECT_EQ(e.name(), "ou.rows");
    EXPECT_EQ(std::string(e.what()).rfind("ou.rows: ou.rows: ", 0), 0u) << e.what();
}

// Every error raised outside src/cli/ (a throw, fail, param_error or bad call up to its ';')
// spells no "--flag" in its string literals.
TEST(ErrorWording, NoLibraryErrorSpellsACommandLineFlag) {
    namespace fs = std::filesystem;
    const fs::path src = fs::path(SPARSECIM_SOURCE_DIR) / "src";
    int files = 0;
    for (const auto& entry : fs::recursive_directory_iterator(src)) {
        const fs::path& p = entry.path();
        if (p.extension() != ".cpp" && p.extension() != ".hpp") continue;
        if (p.parent_path().filename() == "cli") continue;
        ++files;
        std::ifstream in(p);
        std::stringstream ss;
        ss << in.rdbuf();
        const std::string text = ss.str();
        for (const char* call : {"throw ", "fail(", "param_error(", "bad("}) {
            for (size_t at = text.find(call); at != std::string::npos;
                 at = text.find(call, at + 1)) {
                const size_t end = text.find(';', at);
                const std::string stmt = text.substr(at, end - at);
                for (const char* flag : {"\"--", "\" --", " --"})
                    for (size_t f = stmt.find(flag); f != std::string::npos;
                         f = stmt.find(flag, f + 1)) {
                        const size_t dash = stmt.find("--", f);
                        if (dash + 2 < stmt.size() &&
                            std::islower(static_cast<unsigned char>(stmt[dash + 2])))
                            ADD_FAILURE() << p << ": " << stmt.substr(0, 160);
                    }
            }
        }
    }
    EXPECT_GT(files, 50);
}
