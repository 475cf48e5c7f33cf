// The comparison report: ratios against dense, layers.csv, and report.html (well-formed XML with
// inline SVG, every scheme and chart present, nothing fetched from the network), rendered by
// headless Chromium when the machine has it.
#include <gtest/gtest.h>
#include <libxml/parser.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "pipeline/evaluate.hpp"
#include "report/html_report.hpp"
#include "report/svg.hpp"
#include "results/compare.hpp"

using namespace sparsecim;
namespace fs = std::filesystem;

namespace {

// A real evaluation of the default model with dense, plus a derived scheme "half" that stores
// half the cells and takes half the cycles and energy of dense (the report only reads results).
EvalResult two_scheme_result() {
    static const EvalResult base = [] {
        EvalOptions o;
        o.accuracy_images = 50;
        o.adc_accuracy_images = 0;
        o.calib_images = 32;
        return evaluate(o);
    }();
    EvalResult r = base;
    SchemeResult half = r.schemes.at(0);
    half.name = "half";
    half.summary = "a <derived> & halved scheme";
    half.footprint.stored_cells /= 2;
    half.stats.cycles /= 2;
    for (auto& [k, v] : half.cost.energy_pj) v /= 2;
    for (auto& l : half.layers) {
        l.footprint.stored_cells /= 2;
        l.stats.cycles /= 2;
        l.notes = {"note for " + l.name};
    }
    half.figures["half_figure"] = 42;
    r.schemes.push_back(half);
    return r;
}

int count(const std::string& s, const std::string& what) {
    int n = 0;
    for (size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
    return n;
}

}  // namespace

TEST(Compare, RatiosAgainstDense) {
    const EvalResult r = two_scheme_result();
    const auto c = compare_schemes(r);
    ASSERT_EQ(c.size(), 2u);
    EXPECT_DOUBLE_EQ(*c[0].speedup, 1.0);
    EXPECT_NEAR(*c[1].speedup, 2.0, 1e-3);
    EXPECT_NEAR(*c[1].compression, 2.0, 1e-3);
    EXPECT_NEAR(*c[1].energy_eff, 2.0, 1e-9);
    ASSERT_EQ(c[1].layers.size(), r.schemes[1].layers.size());
    EXPECT_NEAR(*c[1].layers[0].compression, 2.0, 1e-2);
    // Without a dense baseline there is nothing to compare with.
    EvalResult no_dense = r;
    no_dense.schemes.erase(no_dense.schemes.begin());
    EXPECT_FALSE(compare_schemes(no_dense)[0].speedup.has_value());
}

TEST(Svg, NiceTicksCoverTheRange) {
    const auto t = nice_ticks(0.0, 7.3);
    ASSERT_GE(t.size(), 3u);
    EXPECT_EQ(t.front(), 0.0);
    EXPECT_GE(t.back(), 7.3);
    EXPECT_EQ(xml_escape("a<b&'c\""), "a&lt;b&amp;&#39;c&quot;");
}

TEST(Report, CsvHasOneRowPerSchemeAndLayer) {
    const EvalResult r = two_scheme_result();
    const std::string csv = layers_csv(r);
    std::istringstream in(csv);
    std::string line;
    std::getline(in, line);
    const int cols = count(line, ",") + 1;
    int rows = 0;
    while (std::getline(in, line)) {
        EXPECT_EQ(count(line, ",") + 1, cols) << line;
        ++rows;
    }
    EXPECT_EQ(rows, static_cast<int>(r.schemes[0].layers.size() * 2));
}

TEST(Report, HtmlIsWellFormedSelfContainedAndShowsEverySchemeAndChart) {
    const EvalResult r = two_scheme_result();
    const std::string html = render_html(r);
    // Well-formed: the page is written as XHTML-compatible markup, so libxml2 parses it as XML.
    const std::string body = html.substr(html.find("<html"));
    xmlDocPtr doc = xmlReadMemory(body.data(), static_cast<int>(body.size()), "report.html",
                                  nullptr, XML_PARSE_NONET | XML_PARSE_NOERROR);
    EXPECT_NE(doc, nullptr) << "report.html is not well-formed";
    if (doc) xmlFreeDoc(doc);
    for (const char* s :
         {"dense", "half", "a &lt;derived&gt; &amp; halved scheme", "half_figure", "note for conv1",
          "Energy by component", "Area by component", "Per-layer speedup over dense",
          "Per-layer compression over dense", "Accuracy against energy efficiency", "2.00x",
          "Stored cells by state", "Cell reads by state"})
        EXPECT_NE(html.find(s), std::string::npos) << s;
    EXPECT_EQ(count(html, "<svg"), 7);
    EXPECT_EQ(count(html, "<script"), 0);
    EXPECT_EQ(count(html, "src=\"http"), 0);
    EXPECT_EQ(count(html, "href=\"http"), 0);
}

TEST(Report, RendersInHeadlessChromium) {
    const bool have = std::system("command -v chromium >/dev/null 2>&1") == 0;
    if (!have) GTEST_SKIP() << "chromium is not installed";
    const fs::path dir =
        fs::temp_directory_path() / ("sparsecim-report-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    write_report_files(two_scheme_result(), dir);
    const std::string cmd = "bash " + std::string(SPARSECIM_SOURCE_DIR) +
                            "/scripts/screenshot-report.sh " + dir.string() + " >/dev/null";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
    ASSERT_TRUE(fs::exists(dir / "report.png"));
    std::ifstream png(dir / "report.png", std::ios::binary);
    char magic[8] = {};
    png.read(magic, 8);
    EXPECT_EQ(std::string(magic + 1, 3), "PNG");
    EXPECT_GT(fs::file_size(dir / "report.png"), 10000u);  // a blank page compresses far smaller
    fs::remove_all(dir);
}
