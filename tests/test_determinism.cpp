// Determinism: the same model, options and seed give byte-identical results.json (apart from its
// "timing" section), layers.csv and report.html; the evaluation runs twice, in two processes, with
// every scheme, and the bytes are compared. A different seed must change the figures (so the
// comparison can fail).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support/process.hpp"

using namespace sparsecim::testing;

namespace {

class Determinism : public TempDirTest {
  protected:
    ProcResult evaluate(const std::string& out, const std::string& seed) const {
        return run({"evaluate", "--model", "zoo:tiny-cnn", "--seed", seed, "--images", "2",
                    "--accuracy-images", "30", "--adc-accuracy-images", "4", "--calib-images", "16",
                    "--check-exact", "--out", (dir / out).string()});
    }
    // results.json with the "timing" section cut out of the text, every other byte kept.
    std::string results_without_timing(const std::string& out) const {
        const std::string text = slurp(dir / out / "results.json");
        const auto at = text.find("\n  \"timing\": {");
        EXPECT_NE(at, std::string::npos) << "no timing section";
        const auto end = text.find("\n  }", at + 1);
        EXPECT_NE(end, std::string::npos);
        return text.substr(0, at) + text.substr(end + 4);
    }
};

}  // namespace

TEST_F(Determinism, SameSeedGivesTheSameBytes) {
    for (const char* out : {"a", "b"}) {
        const ProcResult r = evaluate(out, "7");
        ASSERT_EQ(r.code, 0) << r.err;
    }
    const std::string a = results_without_timing("a");
    EXPECT_EQ(a, results_without_timing("b"));
    // Only the timing section may differ: nothing else mentions seconds.
    const auto j = nlohmann::json::parse(slurp(dir / "a" / "results.json"));
    ASSERT_TRUE(j.contains("timing"));
    EXPECT_EQ(a.find("seconds"), std::string::npos);
    EXPECT_GE(j["schemes"].size(), 5u);  // every scheme took part
    for (const char* f : {"layers.csv", "report.html"})
        EXPECT_EQ(slurp(dir / "a" / f), slurp(dir / "b" / f)) << f;
}

TEST_F(Determinism, AnotherSeedChangesTheFigures) {
    ASSERT_EQ(evaluate("a", "7").code, 0);
    ASSERT_EQ(evaluate("c", "8").code, 0);
    EXPECT_NE(results_without_timing("a"), results_without_timing("c"));
}
