// results.json text: names from a model file that are not valid UTF-8 (ONNX names are bytes) are
// written with U+FFFD instead of failing the whole report (found by fuzzing the config echo); the
// terminal table's short number forms and line wrapping.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "report/eval_report.hpp"
#include "report/text_table.hpp"

using namespace sparsecim;

TEST(ResultsJsonText, InvalidUtf8NamesAreReplacedNotFatal) {
    EvalResult r;
    r.model = "caf\xe9.onnx";
    r.hw.name = "dense";
    SchemeResult s;
    s.name = "dense";
    LayerResult l;
    l.name = "conv\xff";
    s.layers.push_back(l);
    r.schemes.push_back(s);
    EXPECT_THROW(results_json(r).dump(), nlohmann::json::type_error);
    const std::string text = results_json_text(r);
    ASSERT_EQ(text.back(), '\n');
    const auto j = nlohmann::json::parse(text);
    EXPECT_EQ(j["model"]["spec"], "caf\xEF\xBF\xBD.onnx");
    EXPECT_EQ(j["schemes"][0]["layers"][0]["name"], "conv\xEF\xBF\xBD");
}

TEST(TextTable, ShortFormsAndWrapping) {
    EXPECT_EQ(fmt_sci_short(1.36e6), "1.36e6");
    EXPECT_EQ(fmt_sci_short(2.5e-3), "0.0025");
    EXPECT_EQ(fmt_sci_short(1.2e-5), "1.2e-5");
    EXPECT_EQ(fmt_sci_short(9625.0), "9625");
    EXPECT_EQ(fmt_pct_short(0.925), "92.5%");
    // Breaks at spaces before the width, later lines indented, aligned labels keep their gap.
    EXPECT_EQ(wrap_text("hw:    aaaa bbbb cccc", 12, "  "), "hw:    aaaa\n  bbbb cccc\n");
    EXPECT_EQ(wrap_text("short", 12, "  "), "short\n");
    EXPECT_EQ(wrap_text("averyveryverylongword x", 8, " "), "averyveryverylongword\n x\n");
}
