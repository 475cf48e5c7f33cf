// results.json text: names from a model file that are not valid UTF-8 (ONNX names are bytes) are
// written with U+FFFD instead of failing the whole report (found by fuzzing the config echo).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "report/eval_report.hpp"

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
